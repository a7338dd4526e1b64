using System.Diagnostics;
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
    /// <summary>Tag of the health checks that gate <c>/health/ready</c>.</summary>
    public const string ReadyTag = "ready";

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

    /// <summary><c>/health/live</c> (the process answers) and <c>/health/ready</c> (PostgreSQL and the bus answer).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) });
        return app;
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

    /// <summary>Health probes every few seconds would drown the traces; they are left out (STYLE.md §7).</summary>
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

/// <summary>Readiness: PostgreSQL answers a trivial query.</summary>
internal sealed class PostgresHealthCheck(Npgsql.NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer", e);
        }
    }
}
