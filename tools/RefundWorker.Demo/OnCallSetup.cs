using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RefundWorker.Contracts;

namespace RefundWorker.Demo;

/// <summary>
/// The on-call part of the demo: leaves the worker with the two things ops meet most, so that `./build.sh demo` can
/// show `RefundWorker ops` dealing with them.
/// <list type="bullet">
/// <item>a dead letter: a refund whose <c>additionalInfo</c> is not a map of strings, so it cannot be read as the
/// contract and goes to the error queue (and from there, with the admin API on, into <c>dead_letters</c>); the fixed
/// message is written next to it for the replay;</item>
/// <item>a NeedsReview refund: a partial NICEPAY refund whose answer is lost after the sandbox applied it; NICEPAY's
/// status answer lists no refunds, so no query can prove it and reconciliation runs out.</item>
/// </list>
/// </summary>
public sealed class OnCallSetup(DemoSettings settings, SandboxAdmin sandbox, TextWriter output)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly string _run = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);

    public async Task<int> RunAsync(DirectoryInfo outputDirectory, CancellationToken ct)
    {
        outputDirectory.Create();
        var collector = new OutcomeCollector();
        var (bus, services) = await Bus.StartAsync(settings, collector, $"refundworker-demo-oncall-{_run}", ct);
        await using var _ = services;
        try
        {
            // 1. The dead letter, and the message as it should have been.
            var fixedRefund = await SeedAsync("DL", 40_000m, 40_000m, "1", ct);
            var broken = JsonSerializer.SerializeToNode(fixedRefund, Json)!.AsObject();
            broken["additionalInfo"] = new JsonObject { ["cancelType"] = new JsonObject { ["value"] = "1" } };
            await RawPublisher.PublishAsync(settings.RabbitMqUri, typeof(RefundRequested), [broken], _ => Guid.NewGuid(), ct);
            await File.WriteAllTextAsync(Path.Combine(outputDirectory.FullName, "fixed-refund.json"), JsonSerializer.Serialize(fixedRefund, Json), ct);
            await File.WriteAllTextAsync(Path.Combine(outputDirectory.FullName, "dead-letter-key"), fixedRefund.PartnerRefundNo, ct);
            output.WriteLine($"  published refund {fixedRefund.PartnerRefundNo} with additionalInfo.cancelType as an object: it cannot be read, so it is dead-lettered");

            // 2. The NeedsReview refund.
            var partial = await SeedAsync("NR", 100_000m, 25_000m, "2", ct);
            await sandbox.ScriptAsync("nicepay", "Refund", [new { kind = "LostResponse504" }], ct);
            await bus.Publish(partial, ct);
            output.WriteLine($"  published partial refund {partial.PartnerRefundNo}; the sandbox books it and loses the answer; waiting for reconciliation to run out...");
            var deadline = DateTimeOffset.UtcNow + settings.Timeout;
            while (!collector.Outcomes.ContainsKey(partial.RequestId) && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(200, ct);
            }

            if (!collector.Outcomes.TryGetValue(partial.RequestId, out var outcome) || outcome.Kind != nameof(RefundNeedsReview))
            {
                output.WriteLine($"  expected RefundNeedsReview for {partial.PartnerRefundNo}, got {outcome?.Kind ?? "nothing"}");
                return 1;
            }

            output.WriteLine($"  {partial.PartnerRefundNo}: {outcome.Kind} ({outcome.Detail})");
            await File.WriteAllTextAsync(Path.Combine(outputDirectory.FullName, "needs-review-key"), partial.PartnerRefundNo, ct);
            return 0;
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }

    private async Task<RefundRequested> SeedAsync(string tag, decimal paid, decimal refund, string cancelType, CancellationToken ct)
    {
        var reference = $"ONCALL{tag}{_run}";
        await sandbox.SeedOriginalsAsync([new { provider = "nicepay", originalReferenceNo = reference, originalPartnerReferenceNo = "ORDER-" + reference, merchantId = "IONPAYTEST", amount = paid }], ct);
        return new RefundRequested
        {
            RequestId = Guid.NewGuid(),
            Provider = "nicepay",
            PartnerRefundNo = "RF" + reference,
            ExternalId = $"8{_run}{(tag == "DL" ? 1 : 2):D8}",
            MerchantId = "IONPAYTEST",
            ExternalStoreId = "NICEPAY",
            OriginalReferenceNo = reference,
            OriginalPartnerReferenceNo = "ORDER-" + reference,
            Amount = refund,
            Currency = "IDR",
            Reason = "Customer returned the goods",
            AdditionalInfo = new Dictionary<string, string> { ["cancelType"] = cancelType },
        };
    }
}
