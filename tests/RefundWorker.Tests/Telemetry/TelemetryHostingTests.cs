using System.Net;
using RefundWorker.Extensions;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Telemetry;

/// <summary>The two exports together (OTLP to a collector that is not there, and <c>/metrics</c>) start, and
/// <c>/metrics</c> is absent unless switched on.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryHostingTests(TelemetryFixture fx)
{
    [Fact]
    public async Task Should_start_ready_with_otlp_and_prometheus_both_on()
    {
        // Nothing listens on port 9: the exporter retries in the background and must not stop the host.
        var worker = await fx.StartWorkerAsync(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });
        try
        {
            using var http = new HttpClient { BaseAddress = WorkerFixture.AddressOf(worker) };
            using var r = await http.GetAsync(TelemetryExtensions.PrometheusPath);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("refundworker_", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await fx.StopWorkerAsync(worker);
        }
    }

    [Fact]
    public async Task Should_not_serve_metrics_when_the_switch_is_off()
    {
        var worker = await fx.StartWorkerAsync(new Dictionary<string, string?> { [TelemetryExtensions.PrometheusEnabledKey] = "false" });
        try
        {
            using var http = new HttpClient { BaseAddress = WorkerFixture.AddressOf(worker) };
            using var r = await http.GetAsync(TelemetryExtensions.PrometheusPath);
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }
        finally
        {
            await fx.StopWorkerAsync(worker);
        }
    }
}
