using System.Text.Json;
using RefundWorker.Extensions;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Telemetry;

/// <summary>
/// <c>Logging:Console:FormatterName=json</c> on the real worker binary: its console output is one JSON object per
/// line, and a line written while a refund is processed carries the trace and span ids of that processing (the ids
/// the attempt trail records), which is what a log store needs to jump to the trace.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class JsonConsoleLogTests(ProcessFixture fx)
{
    [Fact]
    public async Task Should_write_json_lines_with_the_trace_and_span_ids_of_a_refunds_processing()
    {
        var settings = fx.WorkerSettings();
        settings[ServiceDefaultsExtensions.ConsoleFormatterKey] = "json";
        // The gateway's record of each provider call is a Debug line, written inside the call's span.
        settings["Logging:LogLevel:RefundWorker.Operations.ProviderGateway"] = "Debug";
        // Spans exist only when an export is configured: OTLP to a port where nothing listens (the exporter retries
        // in the background and must not disturb the worker).
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9";
        await using var worker = await WorkerProcess.StartAsync(settings);

        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 5_000m);
        await fx.PublishAsync(request);
        // Any outcome will do (under a heavily loaded machine a call may time out and the refund end elsewhere):
        // what matters is the lines of its provider calls.
        await fx.Outcomes.WaitForAsync(request.RequestId, TimeSpan.FromSeconds(60));
        var operationId = (await fx.Database.ScalarAsync<Guid>("SELECT id FROM operations WHERE request_id = $1", request.RequestId)).ToString();
        var attemptTraces = (await fx.Database.ScalarAsync<string>(
            "SELECT string_agg(trace_id, ',') FROM attempts WHERE operation_id = $1::uuid", operationId)).Split(',').ToHashSet(StringComparer.Ordinal);

        List<JsonElement> callLines = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (callLines.Count == 0 && DateTime.UtcNow < deadline)
        {
            callLines = [.. worker.Lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(j => j.GetProperty("Category").GetString()!.EndsWith("ProviderGateway", StringComparison.Ordinal)
                            && j.GetProperty("State").TryGetProperty("OperationId", out var id) && id.GetString() == operationId)];
            await Task.Delay(100);
        }

        Assert.True(callLines.Count > 0, "no JSON line of the provider call; the output ends with:\n" + worker.Tail);
        foreach (var line in callLines)
        {
            Assert.Equal("Debug", line.GetProperty("LogLevel").GetString());
            var ids = line.GetProperty("Scopes").EnumerateArray().Single(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out _));
            // The call's trace, as the attempt trail recorded it, and a span id of that trace.
            Assert.Contains(ids.GetProperty("TraceId").GetString()!, attemptTraces);
            Assert.Matches("^[0-9a-f]{16}$", ids.GetProperty("SpanId").GetString());
        }

        // Every line the worker wrote is JSON, and none holds a client secret.
        Assert.All(worker.Lines.Where(l => l.Length > 0), l => Assert.StartsWith("{", l, StringComparison.Ordinal));
        var secrets = fx.Sandbox.Providers.Values.Select(p => p.ClientSecret).Where(s => s is { Length: >= 8 }).ToList();
        Assert.DoesNotContain(worker.Lines, l => secrets.Any(l.Contains));
    }
}
