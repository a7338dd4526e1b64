using RefundWorker.Extensions;
using RefundWorker.Telemetry;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Telemetry;

/// <summary>The worker fixture with <c>/metrics</c> on and the backlog gauges read every second.</summary>
public sealed class TelemetryFixture : WorkerFixture
{
    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        s[TelemetryExtensions.PrometheusEnabledKey] = "true";
        s[BacklogGauges.IntervalKey] = "00:00:01";
        return s;
    }
}

[CollectionDefinition(Name)]
public sealed class TelemetryCollection : ICollectionFixture<TelemetryFixture>
{
    public const string Name = "telemetry";
}
