using System.Diagnostics;
using RefundWorker.Contracts;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// A provider that answers every call correctly but slowly, behind a backlog, with several worker processes on one
/// queue: 120 refunds, 1.5 s per call, at most 4 calls in flight per provider and replica, leases of 4 s and call
/// timeouts of 3 s. Work waits far longer than a lease before its call can start. Every request must still be
/// resolved in about the time the provider's capacity allows, with exactly one refund call per key, no status query
/// (no outcome was ever unknown) and no refund booked twice, even by a provider that does not deduplicate
/// <c>partnerRefundNo</c>.
/// </summary>
[Collection(SlowProviderCollection.Name)]
public sealed class SlowProviderConvergenceTests(SlowProviderFixture fx, ITestOutputHelper output)
{
    private const int Count = 120;

    /// <summary>A provider that books a re-sent partnerRefundNo again: a double send is a double refund in its ledger.</summary>
    private const string Provider = WorkerFixture.NonIdempotentProvider;
    private const int PerReplicaConcurrency = 4;
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(1500);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Should_resolve_every_refund_with_one_call_per_key_when_replicas_wait_behind_a_slow_provider(int replicas)
    {
        fx.Sandbox.Faults.Set(Provider, new FaultSettings
        {
            Latency = new LatencySettings { Distribution = LatencyDistribution.Fixed, FixedMs = Latency.TotalMilliseconds },
        });
        // Lists refunds in its status answer, so a call that genuinely timed out (a loaded machine) is resolved by
        // one query instead of ending in NeedsReview; it still books every re-sent partnerRefundNo again.
        var behaviour = fx.Sandbox.Behaviours.Get(Provider);
        behaviour.ListRefundsInQuery = true;
        fx.Sandbox.Behaviours.Set(Provider, behaviour);
        var before = Calls();
        var requests = Build();
        var workers = new List<WorkerProcess>();
        try
        {
            for (var i = 0; i < replicas; i++)
            {
                workers.Add(await WorkerProcess.StartAsync(fx.WorkerSettings()));
            }

            var clock = Stopwatch.StartNew();
            foreach (var chunk in requests.Chunk(40))
            {
                await Task.WhenAll(chunk.Select(r => fx.PublishAsync(r.Request)));
            }

            // Capacity: if one replica took the whole backlog, its 4 permits need Count × 1.5 s / 4 = 45 s. The
            // overhead allowed on top covers process start-up effects, batching and the outcome commits.
            var capacity = TimeSpan.FromSeconds(Count * Latency.TotalSeconds / PerReplicaConcurrency);
            var allowed = capacity + TimeSpan.FromSeconds(20);
            await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.Request.RequestId)], allowed);
            var elapsed = clock.Elapsed;

            var after = Calls();
            var refundCalls = after.Refunds - before.Refunds;
            var queries = after.Queries - before.Queries;
            // Calls whose outcome was genuinely unknown (timed out on a loaded machine): the only ones that may be
            // queried, and re-sent if the query shows them not effected.
            var ids = requests.Select(r => r.Request.RequestId).ToArray();
            var unknown = await fx.Database.ScalarAsync<long>(
                "SELECT count(*) FROM attempts a JOIN operations o ON o.id = a.operation_id WHERE o.request_id = ANY($1) AND a.action = 'send' AND a.classification IN ('OutcomeUnknown', 'InFlight')", ids);
            output.WriteLine($"{replicas} replicas: {Count} resolved in {elapsed.TotalSeconds:0.0} s (capacity of one replica {capacity.TotalSeconds:0} s); {refundCalls} refund calls, {queries} status queries, {unknown} sends with an unknown outcome");

            foreach (var (request, original) in requests)
            {
                var events = fx.Outcomes.For(request.RequestId);
                Assert.Single(events.Select(e => e.MessageId).Distinct());
                Assert.IsType<RefundSucceeded>(events[0].Message);
                // The sandbox books every call of this provider: a second send would be a second booking.
                var booked = fx.Sandbox.Ledger.Find(Provider, original.OriginalReferenceNo)!.Refunds.Count(r => r.PartnerRefundNo == request.PartnerRefundNo);
                Assert.True(booked == 1, $"{request.PartnerRefundNo} booked {booked} times");
            }

            // Exactly one call per key and no query when no outcome was unknown (what a quiet machine shows).
            Assert.InRange(refundCalls, Count, Count + unknown);
            Assert.InRange(queries, 0, unknown);
            foreach (var w in workers)
            {
                Assert.False(w.HasExited, w.Tail);
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                await w.DisposeAsync();
            }

            fx.Sandbox.Faults.Set(Provider, new FaultSettings());
            fx.Sandbox.Behaviours.Reset();
        }
    }

    private (long Refunds, long Queries) Calls()
    {
        var lines = fx.Sandbox.Stats.Snapshot().Where(l => l.Provider == Provider).ToList();
        return (lines.Where(l => l.Operation == SandboxOperation.Refund).Sum(l => l.Count),
            lines.Where(l => l.Operation == SandboxOperation.Query).Sum(l => l.Count));
    }

    private List<(RefundRequested Request, LedgerEntry Original)> Build()
    {
        var list = new List<(RefundRequested, LedgerEntry)>(Count);
        for (var i = 0; i < Count / 10; i++)
        {
            var original = fx.Sandbox.Original(Provider, merchantId: Requests.NicepayMerchant);
            for (var j = 0; j < 10; j++)
            {
                list.Add((Requests.NicepayRefund(original, 1_000m) with { Provider = Provider }, original));
            }
        }

        return list;
    }
}

/// <summary>Its own sandbox, database and vhost, so the provider's call counts are this collection's alone.</summary>
public sealed class SlowProviderFixture : WorkerFixture
{
    protected override bool StartsInProcessWorker => false;

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        s["Worker:LeaseDuration"] = "00:00:04";
        s["Worker:LeaseMargin"] = "00:00:00.500";
        s["Worker:Defaults:CallTimeout"] = "00:00:03";
        s["Worker:Defaults:Concurrency"] = "4";
        return s;
    }
}

[CollectionDefinition(Name)]
public sealed class SlowProviderCollection : ICollectionFixture<SlowProviderFixture>
{
    public const string Name = "slow-provider";
}
