using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using RefundWorker.Contracts;
using RefundWorker.Extensions;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Telemetry;

/// <summary>
/// The dashboards and alert rules against what the worker really exports: refunds and a cancel go through real
/// RabbitMQ, PostgreSQL and the sandbox, a private Prometheus scrapes the worker's <c>/metrics</c> every second with
/// the repository's rule files loaded, and every PromQL expression of every dashboard panel and every rule is
/// evaluated through Prometheus' HTTP API. One that does not parse, or returns no series, fails the test.
/// </summary>
/// <remarks>
/// Rules that are quiet while healthy (<c>x &gt; 0</c>) are evaluated with their comparisons made <c>bool</c>
/// (<see cref="PromQl.WithBoolComparisons"/>): the series must exist, only the threshold may hide them.
/// Expressions over counters that only move on a fault this run does not provoke are listed in
/// <see cref="OnlyOnFaults"/>: they must parse, and may be empty.
/// </remarks>
[Collection(TelemetryCollection.Name)]
public sealed class PrometheusQueriesTests(TelemetryFixture fx)
{
    /// <summary>Counters that only get a series on a fault this test does not cause (an outcome event RabbitMQ
    /// returned because no queue is bound).</summary>
    private static readonly string[] OnlyOnFaults = ["refundworker_outbox_unroutable_total"];

    [Fact]
    public async Task Should_answer_every_dashboard_and_rule_expression_with_series_from_a_real_scrape()
    {
        var root = RepositoryRoot();
        var rulesDir = Path.Combine(root, "deploy", "prometheus", "rules");
        var ruleFiles = Directory.GetFiles(rulesDir, "*.rules.yml");
        Assert.NotEmpty(ruleFiles);

        // Traffic: refunds to two providers, a cancel, and a duplicate of one refund.
        var requests = new List<Guid>();
        var nicepay = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var first = Requests.NicepayRefund(nicepay, 1_000m);
        var batch = new object[]
        {
            first, Requests.NicepayRefund(nicepay, 2_000m), Requests.BankRefund(fx.Sandbox.Original("bnc"), 3_000m),
            Requests.IfortepayCancel(fx.Sandbox.Original("ifortepay")),
        };
        foreach (var m in batch)
        {
            await fx.Outcomes.Bus.Publish(m, m.GetType());
            requests.Add(m switch { RefundRequested r => r.RequestId, CancelRequested c => c.RequestId, _ => throw new InvalidOperationException() });
        }

        await fx.Outcomes.WaitForAllAsync(requests, TimeSpan.FromSeconds(60));
        await fx.PublishAsync(first);

        var worker = WorkerFixture.AddressOf(fx.Worker);
        string exported;
        using (var http = new HttpClient { BaseAddress = worker })
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            string text;
            do
            {
                await Task.Delay(500);
                text = await http.GetStringAsync(TelemetryExtensions.PrometheusPath);
            }
            while (!(text.Contains("refundworker_requests_duplicate_total", StringComparison.Ordinal)
                     && text.Contains("refundworker_operations_needs_review", StringComparison.Ordinal))
                   && DateTime.UtcNow < deadline);
            Assert.Contains("refundworker_attempts_total", text, StringComparison.Ordinal);
            exported = text;
        }

        await using var prometheus = await PrivatePrometheus.StartAsync(worker, TelemetryExtensions.PrometheusPath, ruleFiles);

        // Enough scrapes for rate() over any window: five samples of a healthy target.
        await WaitAsync(prometheus, "count_over_time(up{job=\"refundworker\"}[1m]) >= 5 and up{job=\"refundworker\"} == 1", TimeSpan.FromSeconds(60));

        var expressions = new List<(string Where, string Expr)>();
        foreach (var file in Directory.GetFiles(Path.Combine(root, "deploy", "grafana", "dashboards"), "*.json"))
        {
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            foreach (var (title, expr) in PanelExpressions(doc.RootElement.GetProperty("panels")))
            {
                expressions.Add(($"{Path.GetFileName(file)} panel '{title}'", expr));
            }
        }

        var dashboardCount = expressions.Count;
        Assert.True(dashboardCount > 0, "no PromQL expressions found in deploy/grafana/dashboards");

        // Rules as Prometheus loaded them: every rule of every file must be there, with its expression.
        var declared = ruleFiles.Sum(f => Regex.Count(File.ReadAllText(f), @"^\s*-\s*(alert|record):", RegexOptions.Multiline));
        using (var r = await prometheus.Http.GetAsync("api/v1/rules"))
        {
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            var loaded = doc.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Select(x => (Name: x.GetProperty("name").GetString()!, Query: x.GetProperty("query").GetString()!))
                .ToList();
            Assert.Equal(declared, loaded.Count);
            expressions.AddRange(loaded.Select(x => ($"rule '{x.Name}'", PromQl.WithBoolComparisons(x.Query))));
        }

        var failures = new List<string>();
        foreach (var (where, expr) in expressions)
        {
            var query = PromQl.WithoutGrafanaVariables(expr);
            var answer = await prometheus.QueryAsync(query);
            if (answer.GetProperty("status").GetString() != "success")
            {
                failures.Add($"{where}: does not evaluate: {answer.GetProperty("error").GetString()} [{query}]");
                continue;
            }

            var result = answer.GetProperty("data").GetProperty("result");
            var empty = result.ValueKind == JsonValueKind.Array && result.GetArrayLength() == 0;
            if (empty && !OnlyOnFaults.Any(m => query.Contains(m, StringComparison.Ordinal)))
            {
                failures.Add($"{where}: no series [{query}]");
            }
        }

        // The worker's own refundworker_* series names, to compare a failing expression with.
        var names = string.Join(", ", exported.Split('\n').Where(l => l.StartsWith("refundworker_", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[0]).Distinct().Order(StringComparer.Ordinal));
        Assert.True(failures.Count == 0, $"{failures.Count} of {expressions.Count} expressions failed:\n" + string.Join("\n", failures) + "\nExported: " + names);
    }

    [Fact]
    public async Task Should_pass_promtool_check_and_unit_tests_of_the_rules()
    {
        var rulesDir = Path.Combine(RepositoryRoot(), "deploy", "prometheus", "rules");
        var promtool = PrivatePrometheus.Tool("promtool");
        foreach (var file in Directory.GetFiles(rulesDir, "*.rules.yml"))
        {
            var (code, output) = await RunAsync(promtool, rulesDir, "check", "rules", file);
            Assert.True(code == 0, output);
        }

        var tests = Directory.GetFiles(rulesDir, "*.rules.test.yml");
        Assert.NotEmpty(tests);
        foreach (var file in tests)
        {
            var (code, output) = await RunAsync(promtool, rulesDir, "test", "rules", file);
            Assert.True(code == 0, output);
        }
    }

    /// <summary>Every Prometheus target's <c>expr</c> of every panel, rows' nested panels included.</summary>
    private static IEnumerable<(string Title, string Expr)> PanelExpressions(JsonElement panels)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var e in PanelExpressions(nested))
                {
                    yield return e;
                }
            }

            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            var title = panel.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
            foreach (var target in targets.EnumerateArray())
            {
                if (target.TryGetProperty("expr", out var expr) && expr.GetString() is { Length: > 0 } e)
                {
                    yield return (title, e);
                }
            }
        }
    }

    private static async Task WaitAsync(PrivatePrometheus prometheus, string promql, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var answer = await prometheus.QueryAsync(promql);
            if (answer.GetProperty("status").GetString() == "success" && answer.GetProperty("data").GetProperty("result").GetArrayLength() > 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Prometheus never answered series for {promql}: {answer}");
            }

            await Task.Delay(500);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

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
