using System.Globalization;
using MassTransit;
using RefundWorker.Contracts;

namespace RefundWorker.Demo;

/// <summary>
/// The end-to-end demo: publishes a mix of refunds and cancels as an order system would, including the cases a
/// refund engine exists for (a lost response, a 503, a duplicate, a conflict, an invalid request, an over-refund),
/// then reads the outcomes back from the outcome events and checks them against the sandbox's ledger.
/// </summary>
public sealed class DemoScenario(DemoSettings settings, SandboxAdmin sandbox, TextWriter output)
{
    // Sandbox defaults (src/RefundWorker.Sandbox/Configuration/SandboxProfiles.cs).
    private const string NicepayMerchant = "IONPAYTEST";
    private const string BncMerchant = "BNCMERCHANT01";

    private readonly string _run = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
    private int _sequence;

    private sealed record Case(string Name, string Provider, Guid RequestId, string Key, string Expectation);

    public async Task<int> RunAsync(int bulkCount, CancellationToken ct)
    {
        var collector = new OutcomeCollector();
        var (bus, services) = await Bus.StartAsync(settings, collector, $"refundworker-demo-{_run}", ct);
        await using var _ = services;
        try
        {
            var cases = new List<Case>();
            output.WriteLine($"Demo run {_run}: special cases first, one at a time, then {bulkCount} requests in bulk.");
            output.WriteLine();

            // 1. Lost response: the sandbox applies the refund, then answers 504. The worker must find out by query.
            var lost = await SeedRefundAsync("nicepay", NicepayMerchant, 50_000m, ct);
            await sandbox.ScriptAsync("nicepay", "Refund", [new { kind = "LostResponse504" }], ct);
            cases.Add(await PublishAndWaitAsync(bus, collector, "lost response (504 after applying)", lost with { Amount = 50_000m }, "RefundSucceeded, one refund in the ledger", ct));

            // 2. The bank answers 503 once, then works: a retry with the same partnerRefundNo.
            var flaky = await SeedRefundAsync("bnc", BncMerchant, 20_000m, ct);
            await sandbox.ScriptAsync("bnc", "Refund", [new { kind = "Error503" }], ct);
            cases.Add(await PublishAndWaitAsync(bus, collector, "503, then success", flaky, "RefundSucceeded after 2 attempts", ct));

            // 3. The same message twice: one provider call, the outcome published again with the same RequestId.
            var duplicate = await SeedRefundAsync("nicepay", NicepayMerchant, 30_000m, ct);
            await bus.Publish(duplicate, ct);
            cases.Add(await PublishAndWaitAsync(bus, collector, "duplicate message", duplicate, "one RefundSucceeded, one refund in the ledger", ct));

            // 4. Same key, different amount: refused before anything is sent.
            var conflict = duplicate with { RequestId = Guid.NewGuid(), ExternalId = NextExternalId(), Amount = duplicate.Amount + 1m };
            cases.Add(await PublishAndWaitAsync(bus, collector, "same key, different amount", conflict, "RefundRejected, nothing sent", ct));

            // 5. Invalid: QRIS is domestic, a USD refund is never sent.
            var invalid = await SeedRefundAsync("nicepay", NicepayMerchant, 10_000m, ct);
            cases.Add(await PublishAndWaitAsync(bus, collector, "invalid currency", invalid with { Currency = "USD" }, "RefundRejected naming refundAmount.currency", ct));

            // 6. More than the original: the provider refuses for good (404xx13).
            var over = await SeedRefundAsync("nicepay", NicepayMerchant, 10_000m, ct);
            cases.Add(await PublishAndWaitAsync(bus, collector, "over-refund", over with { Amount = 15_000m }, "RefundFailed 4047813", ct));

            // 7. A cancel of a dynamic QRIS payment at iFortePay.
            var cancel = await SeedCancelAsync(ct);
            cases.Add(await PublishAndWaitAsync(bus, collector, "cancel (iFortePay)", cancel, "CancelSucceeded", ct));

            PrintCases(cases, collector);

            // A convenience-store payment code for NICEPAY's inbound inquiry (README: "Inbound"), valid for a day.
            await bus.Publish(new CvsPaymentCodeIssued
            {
                PartnerServiceId = "7015", CustomerNo = "89101110", PayNo = "701589101110",
                PayNoName = "John Test", GoodsName = "Pembelian John Test", PayNoPhone = "087771122333", PayNoEmail = "jhon@test.com",
                Amount = 10_000m, Currency = "IDR", PartnerReferenceNo = "ORDER-CVS-0001", MitraCd = "ALMA",
                ExpiresAt = DateTimeOffset.UtcNow.AddDays(1),
            }, ct);
            output.WriteLine();
            output.WriteLine("Published CvsPaymentCodeIssued for payNo 701589101110 (answerable by POST /api/v1.0/cvs/inquiry).");

            // The bulk: a mix of providers, published as fast as the bus takes them.
            var bulk = new List<(Guid RequestId, string Provider, object Message)>();
            for (var i = 0; i < bulkCount; i++)
            {
                object message = (i % 5) switch
                {
                    0 or 1 or 2 => await SeedRefundAsync("nicepay", NicepayMerchant, 10_000m + (i * 100), ct),
                    3 => await SeedRefundAsync("bnc", BncMerchant, 5_000m + (i * 100), ct),
                    _ => await SeedCancelAsync(ct),
                };
                bulk.Add(message switch
                {
                    RefundRequested r => (r.RequestId, r.Provider, message),
                    CancelRequested c => (c.RequestId, c.Provider, message),
                    _ => throw new InvalidOperationException(),
                });
            }

            output.WriteLine();
            output.WriteLine($"Publishing {bulkCount} requests (60% NICEPAY refunds, 20% bank refunds, 20% iFortePay cancels)...");
            await Task.WhenAll(bulk.Select(b => bus.Publish(b.Message, ct)));
            var ids = bulk.Select(b => b.RequestId).ToHashSet();
            var done = await Progress.WaitAsync(output, () => ids.Count(collector.Outcomes.ContainsKey), ids.Count, settings.Timeout, ct);

            PrintBulk(bulk.Select(b => (b.RequestId, b.Provider)).ToList(), collector);
            var ledgerOk = await PrintLedgerCheckAsync(collector, ct);
            var complete = done && cases.All(c => collector.Outcomes.ContainsKey(c.RequestId));
            output.WriteLine();
            output.WriteLine(complete && ledgerOk && collector.Contradictions == 0
                ? "Demo complete: every request ended in exactly one outcome, and the ledger agrees."
                : "Demo INCOMPLETE: see the tables above.");
            return complete && ledgerOk && collector.Contradictions == 0 ? 0 : 1;
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }

    private async Task<Case> PublishAndWaitAsync(IBus bus, OutcomeCollector collector, string name, object message, string expectation, CancellationToken ct)
    {
        var (id, provider, key) = message switch
        {
            RefundRequested r => (r.RequestId, r.Provider, r.PartnerRefundNo),
            CancelRequested c => (c.RequestId, c.Provider, c.OriginalPartnerReferenceNo),
            _ => throw new ArgumentException("not a request", nameof(message)),
        };
        await bus.Publish(message, message.GetType(), ct);
        output.Write($"  {name,-30} ");
        var deadline = DateTimeOffset.UtcNow + settings.Timeout;
        while (!collector.Outcomes.ContainsKey(id) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
        }

        output.WriteLine(collector.Outcomes.TryGetValue(id, out var o) ? o.Kind : "no outcome yet");
        return new Case(name, provider, id, key, expectation);
    }

    private async Task<RefundRequested> SeedRefundAsync(string provider, string merchant, decimal paid, CancellationToken ct)
    {
        var n = Interlocked.Increment(ref _sequence);
        var reference = $"DEMO{_run}{n:D6}";
        await sandbox.SeedOriginalsAsync([new { provider, originalReferenceNo = reference, originalPartnerReferenceNo = "ORDER-" + reference, merchantId = merchant, amount = paid }], ct);
        return new RefundRequested
        {
            RequestId = Guid.NewGuid(),
            Provider = provider,
            PartnerRefundNo = "RF" + reference,
            ExternalId = NextExternalId(),
            MerchantId = merchant,
            ExternalStoreId = provider == "nicepay" ? "NICEPAY" : null,
            OriginalReferenceNo = reference,
            OriginalPartnerReferenceNo = "ORDER-" + reference,
            Amount = paid,
            Currency = "IDR",
            Reason = "Customer returned the goods",
            AdditionalInfo = provider == "nicepay" ? new Dictionary<string, string> { ["cancelType"] = "1" } : null,
        };
    }

    private async Task<CancelRequested> SeedCancelAsync(CancellationToken ct)
    {
        var n = Interlocked.Increment(ref _sequence);
        var reference = $"DEMO{_run}{n:D6}";
        await sandbox.SeedOriginalsAsync([new { provider = "ifortepay", originalReferenceNo = reference, originalPartnerReferenceNo = "ORDER-" + reference, amount = 25_000m, qrType = "DYNAMIC" }], ct);
        return new CancelRequested
        {
            RequestId = Guid.NewGuid(),
            Provider = "ifortepay",
            ExternalId = NextExternalId(),
            OriginalPartnerReferenceNo = "ORDER-" + reference,
            OriginalReferenceNo = reference,
            Reason = "Order cancelled before shipping",
        };
    }

    // Numeric, unique per partner per day: the run's timestamp plus a sequence.
    private string NextExternalId() => $"9{_run}{Interlocked.Increment(ref _sequence):D8}";

    private void PrintCases(List<Case> cases, OutcomeCollector collector)
    {
        output.WriteLine();
        output.WriteLine("Special cases");
        var rows = cases.Select(c =>
        {
            collector.Outcomes.TryGetValue(c.RequestId, out var o);
            return new[] { c.Name, c.Provider, o?.Kind ?? "(none)", o?.Attempts.ToString(CultureInfo.InvariantCulture) ?? "-", o?.ResponseCode ?? "-", c.Expectation };
        });
        Table.Print(output, ["case", "provider", "outcome", "attempts", "code", "expected"], rows);
    }

    private void PrintBulk(List<(Guid RequestId, string Provider)> bulk, OutcomeCollector collector)
    {
        output.WriteLine();
        output.WriteLine("Bulk outcomes, from the outcome events");
        var rows = bulk
            .GroupBy(b => (b.Provider, Kind: collector.Outcomes.TryGetValue(b.RequestId, out var o) ? o.Kind : "(none yet)"))
            .OrderBy(g => g.Key.Provider).ThenBy(g => g.Key.Kind)
            .Select(g => new[] { g.Key.Provider, g.Key.Kind, g.Count().ToString(CultureInfo.InvariantCulture) });
        Table.Print(output, ["provider", "outcome", "requests"], rows);
    }

    /// <summary>The "no double refund" check: every effected refund in the ledger matches exactly one success.</summary>
    private async Task<bool> PrintLedgerCheckAsync(OutcomeCollector collector, CancellationToken ct)
    {
        var entries = await sandbox.LedgerEntriesAsync(ct);
        var effected = entries
            .Where(e => (e?["originalReferenceNo"]?.GetValue<string>() ?? string.Empty).StartsWith("DEMO" + _run, StringComparison.Ordinal))
            .SelectMany(e => e!["refunds"]!.AsArray().Select(r => r!["partnerRefundNo"]!.GetValue<string>()))
            .ToList();
        var cancels = entries.Count(e => (e?["originalReferenceNo"]?.GetValue<string>() ?? string.Empty).StartsWith("DEMO" + _run, StringComparison.Ordinal) && e!["cancel"] is not null);
        var succeeded = collector.Outcomes.Values.Where(o => o.Kind == "RefundSucceeded").Select(o => o.Key).ToHashSet();
        var cancelled = collector.Outcomes.Values.Count(o => o.Kind == "CancelSucceeded");
        var doubles = effected.GroupBy(k => k).Count(g => g.Count() > 1);
        var unreported = effected.Distinct().Count(k => !succeeded.Contains(k));
        var missing = succeeded.Count(k => !effected.Contains(k));

        output.WriteLine();
        output.WriteLine("Sandbox ledger (ground truth) against the outcome events");
        Table.Print(output, ["check", "value"],
        [
            ["refunds effected in the ledger", effected.Count.ToString(CultureInfo.InvariantCulture)],
            ["RefundSucceeded events (distinct keys)", succeeded.Count.ToString(CultureInfo.InvariantCulture)],
            ["partnerRefundNo effected twice", doubles.ToString(CultureInfo.InvariantCulture)],
            ["effected but not reported", unreported.ToString(CultureInfo.InvariantCulture)],
            ["reported but not effected", missing.ToString(CultureInfo.InvariantCulture)],
            ["cancels effected / CancelSucceeded", $"{cancels} / {cancelled}"],
            ["outcome events delivered (incl. redeliveries)", collector.Deliveries.ToString(CultureInfo.InvariantCulture)],
            ["contradicting outcomes for one request", collector.Contradictions.ToString(CultureInfo.InvariantCulture)],
        ]);
        return doubles == 0 && unreported == 0 && missing == 0 && cancels == cancelled;
    }
}
