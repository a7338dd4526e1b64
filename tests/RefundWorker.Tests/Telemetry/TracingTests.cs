using System.Diagnostics;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RefundWorker.Tests.Telemetry;

/// <summary>The spans of one refund that succeeds on the first try, from an in-memory export of the real pipeline
/// (RabbitMQ, PostgreSQL, the sandbox), and that no secret appears in any exported span.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TracingTests(TelemetryFixture fx, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_trace_a_first_try_success_with_its_provider_calls_and_no_secret()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 6_000m);
        ActivityTraceId requestTrace;
        using (var root = CapturedSpans.OrderSystem.StartActivity("order-system publish", ActivityKind.Producer))
        {
            Assert.NotNull(root);
            requestTrace = root.TraceId;
            await fx.PublishAsync(request);
        }

        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);
        var attemptTrace = await fx.Database.ScalarAsync<string>(
            "SELECT a.trace_id FROM attempts a JOIN operations o ON o.id = a.operation_id WHERE o.request_id = $1", request.RequestId);
        await Task.Delay(500);
        var spans = fx.Spans.All;
        foreach (var s in spans.Where(s => s.TraceId == requestTrace || s.TraceId.ToHexString() == attemptTrace))
        {
            output.WriteLine($"{s.TraceId} {s.SpanId} parent={s.ParentSpanId} {s.Kind} {s.Source.Name} '{s.DisplayName}' " +
                string.Join(" ", s.TagObjects.Select(t => $"{t.Key}={t.Value}")));
        }

        // The request's trace: the order system's publish (MassTransit's send), the worker's consumer span for the
        // message, the accept and its insert.
        var inRequest = spans.Where(s => s.TraceId == requestTrace).ToList();
        var byId = inRequest.ToDictionary(s => s.SpanId);
        var accept = Assert.Single(inRequest, s => s.Source.Name == "RefundWorker" && s.DisplayName == "refund.accept");
        var chain = Ancestors(accept, byId).ToList();
        Assert.Contains(chain, s => s.Source.Name == "RefundWorker" && s.Kind == ActivityKind.Consumer && s.DisplayName == "refund-requested process"
                                    && s.GetTagItem("messaging.message.id") is string { Length: > 0 });
        Assert.Contains(chain, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer);
        Assert.Equal("order-system publish", chain[^1].DisplayName);
        Assert.Contains(inRequest, s => s.Source.Name == "Npgsql" && s.ParentSpanId == accept.SpanId
                                        && (s.GetTagItem("db.query.text") as string ?? "").StartsWith("INSERT INTO operations", StringComparison.Ordinal));

        // The provider call: one operation.execute in the trace the attempt trail recorded, with the refundworker.*
        // attributes, and the HTTP call to the provider under it.
        Assert.False(string.IsNullOrEmpty(attemptTrace));
        var inCall = spans.Where(s => s.TraceId.ToHexString() == attemptTrace).ToList();
        var execute = Assert.Single(inCall, s => s.DisplayName == "operation.execute");
        Assert.Equal("nicepay", execute.GetTagItem("refundworker.provider"));
        Assert.Equal("Refund", execute.GetTagItem("refundworker.kind"));
        Assert.Equal("Send", execute.GetTagItem("refundworker.action"));
        Assert.Equal(request.PartnerRefundNo, execute.GetTagItem("refundworker.partner_refund_no"));
        Assert.Equal(request.ExternalId, execute.GetTagItem("refundworker.external_id"));
        Assert.Equal("Success", execute.GetTagItem("refundworker.classification"));
        Assert.Equal("2007800", execute.GetTagItem("refundworker.snap.response_code"));
        Assert.Contains(inCall, s => s.Source.Name == "System.Net.Http" && s.Kind == ActivityKind.Client && s.ParentSpanId == execute.SpanId
                                     && s.GetTagItem("http.response.status_code") is 200
                                     && (s.GetTagItem("url.full") as string ?? "").Contains("refund", StringComparison.Ordinal));

        // No secret in any span this process exported (every test's, not only this one's).
        var secrets = fx.Sandbox.Providers.Values.Select(p => p.ClientSecret).Where(x => x is { Length: >= 8 })
            .Append(PemSlice(fx.Keys.PrivateKeyPem)).ToList();
        foreach (var span in spans)
        {
            var texts = span.TagObjects.Select(t => $"{t.Key}={t.Value}")
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name} {t.Key}={t.Value}")))
                .Append(span.DisplayName).Append(span.StatusDescription ?? "");
            foreach (var text in texts)
            {
                Assert.DoesNotContain(secrets, text.Contains);
                Assert.DoesNotContain("Bearer ", text, StringComparison.OrdinalIgnoreCase);
                var key = text.Split('=')[0];
                Assert.False(key.Contains("authorization", StringComparison.OrdinalIgnoreCase) || key.Contains("signature", StringComparison.OrdinalIgnoreCase)
                             || key.Contains("secret", StringComparison.OrdinalIgnoreCase), $"span {span.DisplayName} has attribute {key}");
            }
        }
    }

    private static IEnumerable<Activity> Ancestors(Activity span, Dictionary<ActivitySpanId, Activity> byId)
    {
        for (var s = span; byId.TryGetValue(s.ParentSpanId, out var parent); s = parent)
        {
            yield return parent;
        }
    }

    /// <summary>40 characters from the middle of a PEM body: enough to recognise the key in any encoding-free copy.</summary>
    private static string PemSlice(string pem)
    {
        var body = string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim()));
        return body.Substring(body.Length / 2, 40);
    }
}
