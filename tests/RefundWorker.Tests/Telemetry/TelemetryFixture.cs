using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using RefundWorker.Admin;
using RefundWorker.Extensions;
using RefundWorker.Telemetry;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Telemetry;

/// <summary>The worker fixture with <c>/metrics</c> on, the backlog gauges read every second and the worker's
/// spans and log records captured in memory (with the same sources as the OTLP export).</summary>
public sealed class TelemetryFixture : WorkerFixture
{
    public CapturedSpans Spans { get; } = new();

    public const string OperatorName = "telemetry-operator";

    /// <summary>An operator's admin API key (a secret: it must never be exported).</summary>
    public string OperatorKey { get; } = "rwk_op_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    /// <summary>The workers' log records: the worker's own from Debug up, the libraries' from Information up.</summary>
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWorker(WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddWorkerSources().AddSource(CapturedSpans.OrderSystem.Name).AddProcessor(Spans));
        builder.Logging.AddProvider(Logs);
        builder.Logging.AddFilter<CapturedLogs>((category, level)
            => level >= (category?.StartsWith("RefundWorker", StringComparison.Ordinal) == true ? LogLevel.Debug : LogLevel.Information));
    }

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        s[TelemetryExtensions.PrometheusEnabledKey] = "true";
        s[BacklogGauges.IntervalKey] = "00:00:01";
        s[$"Admin:Operators:{OperatorName}:KeyHash"] = AdminAuthenticator.HashKey(OperatorKey);
        s[$"Admin:Operators:{OperatorName}:Role"] = "operator";
        return s;
    }
}

[CollectionDefinition(Name)]
public sealed class TelemetryCollection : ICollectionFixture<TelemetryFixture>
{
    public const string Name = "telemetry";
}
