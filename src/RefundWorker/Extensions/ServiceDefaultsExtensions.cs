using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;

namespace RefundWorker.Extensions;

public static class ServiceDefaultsExtensions
{
    /// <summary>Tag of the health checks that gate <c>/health/ready</c>: the whole worker (PostgreSQL, the schema,
    /// the request queue consumers and MassTransit's bus check).</summary>
    public const string ReadyTag = "ready";

    /// <summary>Tag of the health checks that gate <c>/health/ready/inbound</c>: what the inbound SNAP endpoints
    /// (<c>/api/v1.0/access-token/b2b</c>, <c>/api/v1.0/cvs/inquiry</c>) need, which is PostgreSQL and its schema
    /// only. They answer from PostgreSQL and queue their events in the outbox, so RabbitMQ being down must not take
    /// the pod out of NICEPAY's traffic.</summary>
    public const string InboundTag = "inbound";

    /// <summary>The console log format: <c>simple</c> (single line, the default), <c>json</c> or <c>systemd</c>.</summary>
    public const string ConsoleFormatterKey = "Logging:Console:FormatterName";

    /// <summary>
    /// Logging, OpenTelemetry (traces + metrics, OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set) and health checks.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        // The single-line simple format unless Logging:Console:FormatterName picks another (json for a log shipper:
        // one object per line, with the trace and span ids of the span the line was written in, for Loki or any
        // store that can jump to the trace). AddSimpleConsole would override the configured name, so it is only
        // called when none is configured.
        var formatter = builder.Configuration[ConsoleFormatterKey];
        if (string.IsNullOrWhiteSpace(formatter))
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        else
        {
            builder.Logging.AddConsole();
            if (string.Equals(formatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Json, StringComparison.OrdinalIgnoreCase)
                && builder.Configuration["Logging:Console:FormatterOptions:IncludeScopes"] is null)
            {
                // The trace and span ids are a scope (the host's activity tracking): without scopes they are lost.
                builder.Services.Configure<Microsoft.Extensions.Logging.Console.JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);
            }
        }

        builder.Services.AddHealthChecks();
        builder.AddWorkerTelemetry();
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
        app.MapPrometheusEndpointIfEnabled();
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

/// <summary>Health probes and scrapes every few seconds would drown the traces, so their spans are dropped.</summary>
internal sealed class DropHealthProbeSpans : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        var path = data.GetTagItem("url.path") as string ?? data.GetTagItem("http.route") as string;
        if (path is not null && (path.StartsWith("/health", StringComparison.Ordinal) || path == TelemetryExtensions.PrometheusPath))
        {
            // The export processor that runs after this one skips activities that are not recorded.
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
