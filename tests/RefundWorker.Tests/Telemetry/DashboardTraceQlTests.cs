using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using RefundWorker.Contracts;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Telemetry;

/// <summary>
/// The dashboards' TraceQL against what the worker really emits: every <c>span.&lt;attribute&gt;</c> a query names is
/// an attribute of some exported span, every <c>name = "…"</c> a span name, every <c>resource.&lt;attribute&gt; = "…"</c>
/// the worker's resource, and every literal a query compares an attribute with (<c>span.x = "v"</c>) a value the
/// worker wrote. Traffic: a refund whose first send gets a 503 (a failed provider call, an HTTP 5xx, a reconciliation).
/// Tempo itself is not run here: whether Tempo parses the queries is checked only on paper.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed partial class DashboardTraceQlTests(TelemetryFixture fx) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fx.Sandbox.Faults.ClearScript("nicepay");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_use_only_span_names_and_attributes_the_worker_emits()
    {
        var queries = DeployConfigTests.TraceQlQueries().ToList();
        Assert.True(queries.Count >= 5, $"{queries.Count} TraceQL queries found in deploy/grafana/dashboards");

        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 4_000m);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.Error503));
        await fx.PublishAsync(request);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);
        await Task.Delay(500);

        var spans = fx.Spans.All;
        var names = spans.Select(s => s.DisplayName).ToHashSet(StringComparer.Ordinal);
        var attributes = spans.SelectMany(s => s.TagObjects).GroupBy(t => t.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var resource = fx.Worker.Services.GetRequiredService<TracerProvider>().GetResource().Attributes
            .ToDictionary(a => a.Key, a => Convert.ToString(a.Value, System.Globalization.CultureInfo.InvariantCulture));

        var failures = new List<string>();
        foreach (var (where, query) in queries)
        {
            foreach (Match m in SpanAttribute().Matches(query))
            {
                var key = m.Groups["key"].Value;
                if (!attributes.TryGetValue(key, out var values))
                {
                    failures.Add($"{where}: span.{key} is not an attribute of any exported span");
                }
                else if (m.Groups["value"].Success && !m.Groups["value"].Value.StartsWith('$') && !values.Contains(m.Groups["value"].Value))
                {
                    failures.Add($"{where}: span.{key} never has the value \"{m.Groups["value"].Value}\" (seen: {string.Join(", ", values.Take(10))})");
                }
            }

            foreach (Match m in SpanName().Matches(query))
            {
                if (!names.Contains(m.Groups["name"].Value))
                {
                    failures.Add($"{where}: no exported span is named \"{m.Groups["name"].Value}\"");
                }
            }

            foreach (Match m in ResourceAttribute().Matches(query))
            {
                if (!resource.TryGetValue(m.Groups["key"].Value, out var value) || value != m.Groups["value"].Value)
                {
                    failures.Add($"{where}: resource.{m.Groups["key"].Value} is \"{value}\", the query wants \"{m.Groups["value"].Value}\"");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary><c>span.key</c>, and the literal it is compared with by <c>=</c> when there is one.</summary>
    [GeneratedRegex(@"span\.(?<key>[A-Za-z_][\w.]*\w)(\s*=\s*""(?<value>[^""]*)"")?")]
    private static partial Regex SpanAttribute();

    /// <summary>The intrinsic <c>name = "…"</c> (not an attribute that ends in <c>.name</c>).</summary>
    [GeneratedRegex(@"(?<![\w.])name\s*=\s*""(?<name>[^""]+)""")]
    private static partial Regex SpanName();

    [GeneratedRegex(@"resource\.(?<key>[A-Za-z_][\w.]*\w)\s*=\s*""(?<value>[^""]*)""")]
    private static partial Regex ResourceAttribute();
}
