using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RefundWorker.Telemetry;

namespace RefundWorker.Extensions;

public static class ServiceDefaultsExtensions
{
    /// <summary>Tag of the health checks that gate <c>/health/ready</c>: the whole worker (PostgreSQL, the schema,
    /// RabbitMQ through MassTransit's bus check).</summary>
    public const string ReadyTag = "ready";

    /// <summary>Tag of the health checks that gate <c>/health/ready/inbound</c>: what the inbound SNAP endpoints
    /// (<c>/api/v1.0/access-token/b2b</c>, <c>/api/v1.0/cvs/inquiry</c>) need, which is PostgreSQL and its schema
    /// only. They answer from PostgreSQL and queue their events in the outbox, so RabbitMQ being down must not take
    /// the pod out of NICEPAY's traffic.</summary>
    public const string InboundTag = "inbound";

    /// <summary>
    /// Logging, OpenTelemetry (traces + metrics, OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set) and health checks.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        builder.Services.AddHealthChecks();
        builder.Services.AddHostedService<OpenTelemetryHostedService>();
        return builder;
    }

    /// <summary>
    /// <c>/health/live</c> (the process answers), <c>/health/ready</c> (the whole worker: PostgreSQL answers, the
    /// schema is migrated, the bus is connected) and <c>/health/ready/inbound</c> (the inbound SNAP endpoints can
    /// answer: PostgreSQL and the schema, not RabbitMQ). 200 when healthy or degraded, 503 otherwise; the body is
    /// <c>Healthy</c>, or the status followed by one line per failing check saying why.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteReasons });
        app.MapHealthChecks("/health/ready/inbound", new HealthCheckOptions { Predicate = c => c.Tags.Contains(InboundTag), ResponseWriter = WriteReasons });
        return app;
    }

    /// <summary>Plain text: the overall status, then <c>name: Status - description</c> for each check that is not
    /// healthy (descriptions carry no secrets: hosts, ports and migration ids at most).</summary>
    private static Task WriteReasons(HttpContext http, HealthReport report)
    {
        var text = new StringBuilder(report.Status.ToString());
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append('\n').Append(name).Append(": ").Append(entry.Status).Append(" - ").Append(entry.Description ?? entry.Exception?.Message);
        }

        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(text.ToString());
    }
}

/// <summary>
/// Hosts the OpenTelemetry SDK. OpenTelemetry.Extensions.Hosting is not available from the package mirror, so the
/// SDK is created with <see cref="OpenTelemetrySdk.Create"/> at start and disposed (flushed) at stop.
/// </summary>
internal sealed class OpenTelemetryHostedService(IConfiguration configuration, ILogger<OpenTelemetryHostedService> logger) : IHostedService
{
    private OpenTelemetrySdk? _sdk;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            // Without a collector there is nobody to export to: keep the ActivitySource unlistened (zero cost).
            logger.LogInformation("OpenTelemetry export disabled (OTEL_EXPORTER_OTLP_ENDPOINT is not set)");
            return Task.CompletedTask;
        }

        var serviceName = configuration["OTEL_SERVICE_NAME"] ?? WorkerTelemetry.ServiceName;
        _sdk = OpenTelemetrySdk.Create(otel => otel
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId))
            .WithTracing(t => t
                .AddSource(WorkerTelemetry.ActivitySourceName)
                .AddSource("MassTransit")
                .AddSource("Microsoft.AspNetCore")
                .AddSource("System.Net.Http")
                .AddSource("Npgsql")
                .AddProcessor(new DropHealthProbeSpans()))
            .WithMetrics(m => m
                .AddMeter(WorkerTelemetry.MeterName)
                .AddMeter("MassTransit")
                .AddMeter("Microsoft.AspNetCore.Hosting")
                .AddMeter("System.Net.Http")
                .AddMeter("Npgsql"))
            // Reads OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL / _HEADERS from the environment.
            .UseOtlpExporter());
        logger.LogInformation("OpenTelemetry exporting to {Endpoint}", endpoint);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _sdk?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Health probes every few seconds would drown the traces, so their spans are dropped.</summary>
    private sealed class DropHealthProbeSpans : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data)
        {
            var path = data.GetTagItem("url.path") as string ?? data.GetTagItem("http.route") as string;
            if (path is not null && path.StartsWith("/health", StringComparison.Ordinal))
            {
                // The export processor that runs after this one skips activities that are not recorded.
                data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            }
        }
    }
}

/// <summary>Readiness: PostgreSQL answers a trivial query, within a few seconds (a probe must not hang on a host
/// that drops packets).</summary>
internal sealed class PostgresHealthCheck(Npgsql.NpgsqlDataSource dataSource) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer: " + e.Message, e);
        }
    }
}
