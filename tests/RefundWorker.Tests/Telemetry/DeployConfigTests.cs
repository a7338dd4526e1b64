using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RefundWorker.Tests.Telemetry;

/// <summary>
/// The observability stack of <c>deploy/</c> as far as it can be checked without running it (the collector, Tempo,
/// Loki and Grafana are not installed here): every YAML file parses (<see cref="YamlOutline"/>), the services refer
/// to each other by the names and ports the others listen on, the collector's pipelines use only components it
/// defines, every dashboard parses and refers only to provisioned datasources, and the Refund pipeline dashboard has
/// the panels operations rely on.
/// </summary>
public sealed partial class DeployConfigTests
{
    private static readonly string Root = RepositoryRoot();

    [Fact]
    public void Should_parse_every_yaml_file_of_the_stack()
    {
        var files = Directory.GetFiles(Path.Combine(Root, "deploy"), "*.y*ml", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}k8s{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Append(Path.Combine(Root, "docker-compose.yml")).ToList();
        Assert.True(files.Count >= 8, string.Join(", ", files));
        foreach (var file in files)
        {
            var outline = Yaml(file);
            Assert.True(outline.Keys.Count > 0, $"{file} has no keys");
        }
    }

    [Fact]
    public void Should_wire_the_collector_tempo_loki_prometheus_and_grafana_to_each_others_names_and_ports()
    {
        var compose = Yaml(Path.Combine(Root, "docker-compose.yml"));
        var collector = Yaml(Deploy("otel", "collector.yaml"));
        var tempo = Yaml(Deploy("tempo", "tempo.yaml"));
        var loki = Yaml(Deploy("loki", "loki.yaml"));
        var prometheus = Yaml(Deploy("prometheus", "prometheus.yml"));
        var datasources = Yaml(Deploy("grafana", "provisioning", "datasources", "datasources.yaml"));

        // The observability profile runs all five, and every file it mounts exists.
        var services = compose.Children("services");
        foreach (var name in new[] { "otel-collector", "tempo", "loki", "prometheus", "grafana" })
        {
            Assert.Contains(name, services);
            Assert.Contains("observability", compose.All($"services.{name}.profiles"));
        }

        foreach (var mount in services.SelectMany(s => compose.All($"services.{s}.volumes")).Where(v => v.StartsWith("./deploy/", StringComparison.Ordinal)))
        {
            var local = mount.Split(':')[0];
            Assert.True(File.Exists(Path.Combine(Root, local)) || Directory.Exists(Path.Combine(Root, local)), $"compose mounts {local}, which does not exist");
        }

        // Prometheus keeps exemplars and accepts Tempo's remote write.
        var promArgs = compose.All("services.prometheus.command");
        Assert.Contains("--enable-feature=exemplar-storage", promArgs);
        Assert.Contains("--web.enable-remote-write-receiver", promArgs);
        Assert.Contains(promArgs, a => a.StartsWith("--config.file=/etc/prometheus/prometheus.yml", StringComparison.Ordinal));

        // The worker sends OTLP to the collector's gRPC receiver.
        Assert.Equal("http://otel-collector:4317", compose.One("services.worker.environment.OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.EndsWith(":4317", collector.One("receivers.otlp.protocols.grpc.endpoint"), StringComparison.Ordinal);
        Assert.Contains(compose.All("services.otel-collector.ports"), p => p == "4317:4317");

        // Collector -> Tempo (OTLP gRPC), Loki (OTLP HTTP), Prometheus (scrape of the collector's exporter).
        Assert.Equal("tempo:" + Port(tempo.One("distributor.receivers.otlp.protocols.grpc.endpoint")), collector.One("exporters.otlp/tempo.endpoint"));
        Assert.Equal($"http://loki:{loki.One("server.http_listen_port")}/otlp", collector.One("exporters.otlphttp/loki.endpoint"));
        Assert.Equal("otel-collector:" + Port(collector.One("exporters.prometheus.endpoint")), prometheus.One("scrape_configs.static_configs.targets"));
        Assert.Equal("true", collector.One("exporters.prometheus.enable_open_metrics"));
        Assert.Equal("OpenMetricsText1.0.0", prometheus.All("scrape_configs.scrape_protocols")[0]);

        // Tempo's metrics-generator -> Prometheus' remote-write receiver, with exemplars; all its processors on.
        Assert.Equal("http://prometheus:9090/api/v1/write", tempo.One("metrics_generator.storage.remote_write.url"));
        Assert.Equal("true", tempo.One("metrics_generator.storage.remote_write.send_exemplars"));
        Assert.Equal(["service-graphs", "span-metrics", "local-blocks"], tempo.All("overrides.defaults.metrics_generator.processors"));

        // Every pipeline uses components the collector defines, and traces, metrics and logs each have one.
        Assert.Equal(["traces", "metrics", "logs"], collector.Children("service.pipelines"));
        foreach (var pipeline in collector.Children("service.pipelines"))
        {
            foreach (var section in new[] { "receivers", "processors", "exporters" })
            {
                foreach (var component in collector.All($"service.pipelines.{pipeline}.{section}"))
                {
                    Assert.True(collector.Children(section).Contains(component), $"pipeline {pipeline} uses {section} '{component}', which is not defined");
                }
            }
        }

        // Grafana's datasources point at the services' HTTP ports, and link to each other by uid.
        var urls = datasources.All("datasources.url");
        Assert.Contains("http://prometheus:9090", urls);
        Assert.Contains($"http://tempo:{tempo.One("server.http_listen_port")}", urls);
        Assert.Contains($"http://loki:{loki.One("server.http_listen_port")}", urls);
        var uids = datasources.All("datasources.uid");
        Assert.Equal(["prometheus", "tempo", "loki"], uids);
        var referenced = datasources.Scalars.Where(s => s.Path.EndsWith("datasourceUid", StringComparison.Ordinal)).Select(s => s.Value).ToList();
        Assert.Contains("tempo", referenced);
        Assert.Contains("loki", referenced);
        Assert.Contains("prometheus", referenced);
        Assert.All(referenced, u => Assert.Contains(u, uids));
        // Exemplars carry the trace id under the label the exporters write.
        Assert.Equal("trace_id", datasources.One("datasources.jsonData.exemplarTraceIdDestinations.name"));
    }

    [Fact]
    public void Should_refer_only_to_provisioned_datasources_from_dashboards_that_parse()
    {
        var datasources = Yaml(Deploy("grafana", "provisioning", "datasources", "datasources.yaml"));
        var uidToType = datasources.All("datasources.uid").Zip(datasources.All("datasources.type")).ToDictionary(p => p.First, p => p.Second);
        var provider = Yaml(Deploy("grafana", "provisioning", "dashboards", "refundworker.yaml"));
        Assert.Equal("/var/lib/grafana/dashboards", provider.One("providers.options.path"));

        var dashboards = Directory.GetFiles(Deploy("grafana", "dashboards"), "*.json");
        Assert.True(dashboards.Length >= 2);
        var dashboardUids = new HashSet<string>();
        foreach (var file in dashboards)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var root = doc.RootElement;
            Assert.True(dashboardUids.Add(root.GetProperty("uid").GetString()!), $"{file}: duplicate dashboard uid");
            var variables = root.TryGetProperty("templating", out var t)
                ? t.GetProperty("list").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!, v => v)
                : [];
            var panels = Panels(root.GetProperty("panels")).ToList();
            Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
            foreach (var (where, ds) in panels.SelectMany(Datasources))
            {
                var uid = ds.GetProperty("uid").GetString()!;
                var type = ds.GetProperty("type").GetString()!;
                if (VariableRef().Match(uid) is { Success: true } m)
                {
                    // A datasource variable: it must exist and offer datasources of a provisioned type.
                    Assert.True(variables.TryGetValue(m.Groups[1].Value, out var variable), $"{Path.GetFileName(file)} {where}: no variable {uid}");
                    Assert.Equal("datasource", variable.GetProperty("type").GetString());
                    Assert.Contains(variable.GetProperty("query").GetString(), uidToType.Values);
                    Assert.Equal(variable.GetProperty("query").GetString(), type);
                }
                else
                {
                    Assert.True(uidToType.TryGetValue(uid, out var provisioned), $"{Path.GetFileName(file)} {where}: datasource uid '{uid}' is not provisioned");
                    Assert.Equal(provisioned, type);
                }
            }
        }
    }

    [Fact]
    public void Should_have_the_panels_of_the_refund_pipeline_dashboard()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Deploy("grafana", "dashboards", "refundworker.json")));
        var targets = Panels(doc.RootElement.GetProperty("panels"))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (Panel: p.GetProperty("title").GetString()!, Target: t)))
            .Where(x => x.Target.TryGetProperty("expr", out _))
            .Select(x => (x.Panel, Expr: x.Target.GetProperty("expr").GetString()!, Exemplar: x.Target.TryGetProperty("exemplar", out var e) && e.GetBoolean()))
            .ToList();

        void Has(string what, Func<string, bool> expr, bool exemplar = false)
            => Assert.True(targets.Any(t => expr(t.Expr) && (!exemplar || t.Exemplar)), $"the dashboard lacks {what}{(exemplar ? " with exemplars" : "")}");

        static bool Uses(string expr, string metric, params string[] by)
            => expr.Contains(metric, StringComparison.Ordinal) && by.All(l => Regex.IsMatch(expr, $@"by \([^)]*\b{l}\b"));

        Has("provider call rate per provider and action", e => Uses(e, "rate(refundworker_attempts_total", "provider", "action"));
        Has("provider call errors per provider and action", e => Uses(e, "refundworker_attempts_total{outcome!~", "provider", "action"));
        Has("provider call duration per provider and action", e => Uses(e, "refundworker_attempt_duration_milliseconds_bucket", "le", "provider", "action"), exemplar: true);
        Has("request-to-outcome latency", e => Uses(e, "refundworker_outcome_latency_seconds_bucket", "le", "kind"), exemplar: true);
        Has("backlog by state", e => Uses(e, "refundworker_backlog_operations", "provider", "state"));
        Has("oldest due age", e => e.Contains("refundworker_backlog_oldest_due_age_seconds", StringComparison.Ordinal));
        Has("outbox lag", e => e.Contains("refundworker_outbox_oldest_unsent_age_seconds", StringComparison.Ordinal));
        Has("NeedsReview", e => e.Contains("refundworker_operations_needs_review", StringComparison.Ordinal));
        Has("dead letters", e => Uses(e, "refundworker_dead_letters", "status"));
        Has("circuit state", e => Uses(e, "refundworker_provider_circuit_state", "provider"));
        Has("the SLO", e => e.Contains("refundworker_outcome_latency_seconds_bucket{le=~\"60", StringComparison.Ordinal));
        Has("the SLO burn rate", e => e.Contains("refundworker:outcome_slow_ratio:rate1h", StringComparison.Ordinal) && e.Contains("/ 0.01", StringComparison.Ordinal));
    }

    /// <summary>Panels, rows' nested panels included.</summary>
    internal static IEnumerable<JsonElement> Panels(JsonElement panels)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var p in Panels(nested))
                {
                    yield return p;
                }
            }
        }
    }

    /// <summary>TraceQL queries of every Tempo target of every dashboard, with where they are.</summary>
    internal static IEnumerable<(string Where, string Query)> TraceQlQueries()
    {
        foreach (var file in Directory.GetFiles(Deploy("grafana", "dashboards"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in Panels(doc.RootElement.GetProperty("panels")))
            {
                foreach (var target in panel.TryGetProperty("targets", out var targets) ? targets.EnumerateArray().ToList() : [])
                {
                    if (target.TryGetProperty("queryType", out var type) && type.GetString() == "traceql")
                    {
                        yield return ($"{Path.GetFileName(file)} panel '{panel.GetProperty("title").GetString()}'", target.GetProperty("query").GetString()!);
                    }
                }
            }
        }
    }

    private static IEnumerable<(string Where, JsonElement Datasource)> Datasources(JsonElement panel)
    {
        var title = panel.TryGetProperty("title", out var t) ? t.GetString() : "?";
        if (panel.TryGetProperty("datasource", out var ds) && ds.ValueKind == JsonValueKind.Object)
        {
            yield return ($"panel '{title}'", ds);
        }

        foreach (var target in panel.TryGetProperty("targets", out var targets) ? targets.EnumerateArray().ToList() : [])
        {
            if (target.TryGetProperty("datasource", out var tds) && tds.ValueKind == JsonValueKind.Object)
            {
                yield return ($"panel '{title}' target", tds);
            }
        }
    }

    private static string Port(string endpoint) => endpoint[(endpoint.LastIndexOf(':') + 1)..];

    private static YamlOutline Yaml(string file)
    {
        try
        {
            return YamlOutline.Parse(File.ReadAllText(file));
        }
        catch (FormatException e)
        {
            throw new Xunit.Sdk.XunitException($"{file}: {e.Message}");
        }
    }

    internal static string Deploy(params string[] parts) => Path.Combine([Root, "deploy", .. parts]);

    [GeneratedRegex(@"^\$\{?(\w+)\}?$")]
    private static partial Regex VariableRef();

    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = start.Length == 0 ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "RefundWorker.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("No folder above the test binaries holds RefundWorker.sln; run the tests from a clone.");
    }
}
