using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RefundWorker.Telemetry;

namespace RefundWorker.Extensions;

/// <summary>
/// OpenTelemetry, hosted by OpenTelemetry.Extensions.Hosting (started with the host, flushed at stop). Two exports,
/// each off unless configured: OTLP (traces, metrics and logs) when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and a
/// Prometheus scrape endpoint at <c>/metrics</c> when <c>Telemetry:Prometheus:Enabled</c> is true (for shops
/// without a collector). With neither, the SDK is not registered at all and the ActivitySource and Meter have no
/// listener, which costs nothing.
/// </summary>
public static class TelemetryExtensions
{
    public const string PrometheusEnabledKey = "Telemetry:Prometheus:Enabled";
    public const string PrometheusPath = "/metrics";

    public static IHostApplicationBuilder AddWorkerTelemetry(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var prometheus = configuration.GetValue<bool>(PrometheusEnabledKey);
        if (!otlp && !prometheus)
        {
            return builder;
        }

        var serviceName = configuration["OTEL_SERVICE_NAME"] ?? WorkerTelemetry.ServiceName;
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId))
            .WithMetrics(m =>
            {
                m.AddMeter(WorkerTelemetry.MeterName)
                    .AddMeter("MassTransit")
                    .AddMeter("Microsoft.AspNetCore.Hosting")
                    .AddMeter("System.Net.Http")
                    .AddMeter("Npgsql")
                    // Exemplars on the latency histograms point at the trace of a sampled call.
                    .SetExemplarFilter(ExemplarFilterType.TraceBased);
                if (prometheus)
                {
                    m.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            otel.WithTracing(t => t.AddWorkerSources())
                // Log records carry the trace and span ids of the span they were written in; the formatted
                // message is kept as well as the template, so the log store shows readable lines.
                .WithLogging(_ => { }, o => o.IncludeFormattedMessage = true)
                // Reads OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL / _HEADERS from the configuration (environment).
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>The worker's spans and those of the libraries it calls through; health probes and scrapes dropped.</summary>
    public static TracerProviderBuilder AddWorkerSources(this TracerProviderBuilder tracing) => tracing
        .AddSource(WorkerTelemetry.ActivitySourceName)
        .AddSource("MassTransit")
        .AddSource("Microsoft.AspNetCore")
        .AddSource("System.Net.Http")
        .AddSource("Npgsql")
        .AddProcessor(new DropHealthProbeSpans());

    /// <summary><c>/metrics</c> in Prometheus' text format (OpenMetrics when asked, with exemplars), only when
    /// <c>Telemetry:Prometheus:Enabled</c> is true. Like the health endpoints it is unauthenticated: expose the
    /// port to the scraper only.</summary>
    public static WebApplication MapPrometheusEndpointIfEnabled(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>(PrometheusEnabledKey))
        {
            app.MapPrometheusScrapingEndpoint(PrometheusPath);
        }

        return app;
    }
}
