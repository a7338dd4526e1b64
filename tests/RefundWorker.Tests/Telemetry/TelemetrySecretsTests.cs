using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RefundWorker.Contracts;
using RefundWorker.Extensions;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Telemetry;

/// <summary>
/// Everything the worker exports (spans, log records, metric series) is free of the configured secrets: client
/// secrets, the private key, bearer tokens, signatures. And log records written while a refund is processed carry
/// that processing's trace and span ids (the OTLP log exporter takes them from the same place).
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetrySecretsTests(TelemetryFixture fx)
{
    [Fact]
    public async Task Should_export_no_secret_in_spans_logs_or_metric_labels_and_log_with_trace_ids()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 7_000m);
        var bank = Requests.BankRefund(fx.Sandbox.Original("bnc"), 7_000m);
        await fx.PublishAsync(request);
        await fx.PublishAsync(bank);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(bank.RequestId);
        await Task.Delay(500);

        // The provider gateway's record of the call is written inside operation.execute: same trace as the call the
        // attempt trail recorded, and the span id of that span.
        var attemptTrace = await fx.Database.ScalarAsync<string>(
            "SELECT a.trace_id FROM attempts a JOIN operations o ON o.id = a.operation_id WHERE o.request_id = $1", request.RequestId);
        var operationId = (await fx.Database.ScalarAsync<Guid>("SELECT id FROM operations WHERE request_id = $1", request.RequestId)).ToString();
        var callLog = Assert.Single(fx.Logs.All, l => l.Category.EndsWith("ProviderGateway", StringComparison.Ordinal) && l.Level == LogLevel.Debug
                                                     && l.State.Any(s => s.Key == "OperationId" && Equals(s.Value?.ToString(), operationId)));
        Assert.Equal(attemptTrace, callLog.TraceId);
        var execute = Assert.Single(fx.Spans.All, s => s.DisplayName == "operation.execute" && s.TraceId.ToHexString() == attemptTrace);
        Assert.Equal(execute.SpanId.ToHexString(), callLog.SpanId);

        var secrets = Secrets();
        Assert.NotEmpty(fx.Logs.All);
        foreach (var span in fx.Spans.All)
        {
            var texts = span.TagObjects.Select(t => $"{t.Key}={t.Value}")
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name} {t.Key}={t.Value}")))
                .Concat(span.Links.SelectMany(l => l.Tags ?? []).Select(t => $"{t.Key}={t.Value}"))
                .Append(span.DisplayName).Append(span.StatusDescription ?? "");
            AssertNone(secrets, texts, $"span {span.DisplayName}");
        }

        foreach (var log in fx.Logs.All)
        {
            AssertNone(secrets, log.Texts, $"log {log.Category}");
        }

        using var http = new HttpClient { BaseAddress = WorkerFixture.AddressOf(fx.Worker) };
        var metrics = await http.GetStringAsync(TelemetryExtensions.PrometheusPath);
        Assert.Contains("refundworker_attempts", metrics, StringComparison.Ordinal);
        AssertNone(secrets, metrics.Split('\n'), "/metrics");
    }

    private List<string> Secrets()
        => [.. fx.Sandbox.Providers.Values.Select(p => p.ClientSecret).Where(x => x is { Length: >= 8 }).Distinct(), PemSlice(fx.Keys.PrivateKeyPem), fx.OperatorKey];

    private static void AssertNone(List<string> secrets, IEnumerable<string> texts, string where)
    {
        foreach (var text in texts)
        {
            Assert.False(secrets.Any(text.Contains), $"{where} contains a configured secret");
            Assert.False(text.Contains("Bearer ", StringComparison.OrdinalIgnoreCase), $"{where} contains a bearer token: {text}");
            if (!text.Contains('=', StringComparison.Ordinal))
            {
                continue;
            }

            // A field (attribute, state value, label) named after a credential is one even when its value is not known here.
            var key = text.Split('=')[0];
            Assert.False(key.Contains("authorization", StringComparison.OrdinalIgnoreCase) || key.Contains("signature", StringComparison.OrdinalIgnoreCase)
                         || key.Contains("secret", StringComparison.OrdinalIgnoreCase) || key.Contains("accessToken", StringComparison.OrdinalIgnoreCase),
                $"{where} has a field named {key}");
        }
    }

    /// <summary>40 characters from the middle of a PEM body: enough to recognise the key in any copy.</summary>
    private static string PemSlice(string pem)
    {
        var body = string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim()));
        return body.Substring(body.Length / 2, 40);
    }
}
