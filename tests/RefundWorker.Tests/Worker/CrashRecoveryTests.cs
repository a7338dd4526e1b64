using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// Crash recovery and replicas: a worker killed with SIGKILL in the middle of 500 refunds and restarted, and two worker
/// processes on one queue. Every request ends in exactly one outcome, and the ledger shows exactly one effected
/// refund for each success.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CrashRecoveryTests(ProcessFixture fx)
{
    private const int Count = 500;

    [Fact]
    public async Task Should_end_every_request_in_exactly_one_outcome_when_the_worker_is_killed_mid_run_and_restarted()
    {
        // Slow answers keep many calls in flight at the moment of the kill.
        SlowProviders(TimeSpan.FromMilliseconds(200));
        ListNicepayRefundsInQueries();
        var requests = Build(Count);
        var first = await WorkerProcess.StartAsync(fx.WorkerSettings());
        try
        {
            await PublishAllAsync(requests);
            await WaitForOutcomesAsync(requests, atLeast: Count / 5, TimeSpan.FromSeconds(60));
            await first.KillAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        var inFlightAtKill = await CountAsync("state IN ('Sending', 'Reconciling', 'Pending')");
        await using var second = await WorkerProcess.StartAsync(fx.WorkerSettings());
        await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.Request.RequestId)], TimeSpan.FromSeconds(120));

        await AssertExactlyOneOutcomeAndOneRefundEachAsync(requests);
        Assert.True(inFlightAtKill > 0, "the kill left work in flight (otherwise nothing was tested)");
    }

    [Fact]
    public async Task Should_end_every_request_in_exactly_one_outcome_when_two_worker_processes_share_the_queue()
    {
        SlowProviders(TimeSpan.FromMilliseconds(5));
        ListNicepayRefundsInQueries();
        var requests = Build(Count);
        await using var a = await WorkerProcess.StartAsync(fx.WorkerSettings());
        await using var b = await WorkerProcess.StartAsync(fx.WorkerSettings());

        await PublishAllAsync(requests);
        await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.Request.RequestId)], TimeSpan.FromSeconds(120));

        await AssertExactlyOneOutcomeAndOneRefundEachAsync(requests);
        // Both processes took part: each recorded leases under its own node id.
        await using var db = fx.Database.CreateContext();
        Assert.True(await db.Operations.CountAsync(o => requests.Select(r => r.Request.RequestId).Contains(o.RequestId)) == Count);
    }

    private void SlowProviders(TimeSpan latency)
    {
        foreach (var p in new[] { "nicepay", "bnc" })
        {
            fx.Sandbox.Faults.Set(p, new FaultSettings { Latency = new LatencySettings { Distribution = LatencyDistribution.Fixed, FixedMs = latency.TotalMilliseconds } });
        }
    }

    // Ten partial refunds per payment, some interrupted mid-call: each is resolved exactly once only if the status
    // answer says which partial refunds landed. Real NICEPAY lists none (an interrupted partial refund there ends in
    // NeedsReview, RefundHistoryReconciliationTests); here the sandbox lists them as SNAP's refundHistory.
    private void ListNicepayRefundsInQueries()
        => fx.Sandbox.Behaviours.Set("nicepay", new BehaviourSettings { ListRefundsInQuery = true });

    private List<(RefundRequested Request, string Provider, LedgerEntry Original)> Build(int count)
    {
        // 10 partial refunds of 1,000 on each original of 100,000: half NICEPAY (reconciled by query), half the
        // bank (reconciled by re-sending the same partnerRefundNo).
        var list = new List<(RefundRequested, string, LedgerEntry)>(count);
        for (var i = 0; i < count / 10; i++)
        {
            var provider = i % 2 == 0 ? "nicepay" : "bnc";
            var original = provider == "nicepay"
                ? fx.Sandbox.Original(provider, merchantId: Requests.NicepayMerchant)
                : fx.Sandbox.Original(provider);
            for (var j = 0; j < 10; j++)
            {
                var r = provider == "nicepay" ? Requests.NicepayRefund(original, 1_000m) : Requests.BankRefund(original, 1_000m);
                list.Add((r, provider, original));
            }
        }

        return list;
    }

    private async Task PublishAllAsync(List<(RefundRequested Request, string Provider, LedgerEntry Original)> requests)
    {
        foreach (var chunk in requests.Chunk(50))
        {
            await Task.WhenAll(chunk.Select(r => fx.PublishAsync(r.Request)));
        }
    }

    private async Task WaitForOutcomesAsync(List<(RefundRequested Request, string Provider, LedgerEntry Original)> requests, int atLeast, TimeSpan timeout)
    {
        var ids = requests.Select(r => r.Request.RequestId).ToHashSet();
        var deadline = DateTime.UtcNow + timeout;
        while (fx.Outcomes.All.Where(e => ids.Contains(e.RequestId)).Select(e => e.RequestId).Distinct().Count() < atLeast)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than {atLeast} outcomes within {timeout}");
            await Task.Delay(20);
        }
    }

    private async Task AssertExactlyOneOutcomeAndOneRefundEachAsync(List<(RefundRequested Request, string Provider, LedgerEntry Original)> requests)
    {
        foreach (var (request, provider, original) in requests)
        {
            var events = fx.Outcomes.For(request.RequestId);
            // At-least-once delivery may repeat an event, always with the same MessageId: one outcome.
            Assert.Single(events.Select(e => e.MessageId).Distinct());
            var succeeded = Assert.IsType<RefundSucceeded>(events[0].Message);
            var booked = fx.Sandbox.Ledger.Find(provider, original.OriginalReferenceNo)!.Refunds.Where(r => r.PartnerRefundNo == request.PartnerRefundNo).ToList();
            Assert.Single(booked);
            Assert.Equal(request.Amount, succeeded.Amount);
        }

        foreach (var original in requests.Select(r => (r.Provider, r.Original.OriginalReferenceNo)).Distinct())
        {
            var entry = fx.Sandbox.Ledger.Find(original.Provider, original.OriginalReferenceNo)!;
            Assert.Equal(10, entry.Refunds.Count);
            Assert.Equal(10_000m, entry.RefundedAmount);
        }
    }

    private async Task<long> CountAsync(string where)
        => await fx.Database.ScalarAsync<long>($"SELECT count(*) FROM operations WHERE {where}");
}
