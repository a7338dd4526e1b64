using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// What a provider allows, kept: its published calls-per-second limit, and a re-send after an unknown outcome that
/// the provider refuses is reconciled (the refusal may be the trace of the first send), never reported Failed.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class ProviderLimitsTests(WorkerFixture fx) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fx.Sandbox.Faults.ClearScript("nicepay");
        fx.Sandbox.Faults.ClearScript(WorkerFixture.SlowTokenProvider);
        fx.Sandbox.Faults.ClearScript(WorkerFixture.RateLimitedProvider);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_start_no_more_calls_per_second_than_the_provider_allows_and_spend_no_attempt_waiting()
        => await AssertRateKeptAsync(WorkerFixture.RateLimitedProvider);

    [Fact]
    public async Task Should_keep_the_rate_when_calls_waited_together_on_a_slow_access_token()
    {
        // The first call fetches the token (cold cache) and the sandbox takes 1.5 s to answer it: every call admitted
        // meanwhile waits on that one fetch. Were the rate token taken before the access token, some 8 calls would
        // leave together when it arrived.
        fx.Sandbox.Faults.Script(WorkerFixture.SlowTokenProvider, SandboxOperation.Token, FaultStep.Of(FaultKind.None, delayMs: 1_500));
        await AssertRateKeptAsync(WorkerFixture.SlowTokenProvider);
    }

    [Fact]
    public async Task Should_keep_the_rate_when_the_attempt_trail_stalls_between_the_permit_and_the_wire()
    {
        // Every call is written to the attempt trail after its rate permit and before the wire. A lock on the trail's
        // table holds each permitted call at that step for 2.5 s while permits keep coming: were they let go as they
        // stood when the lock went, some 12 calls would reach the provider at once.
        await AssertRateKeptAsync(WorkerFixture.RateLimitedProvider, async originals =>
        {
            await WaitUntilBookedAsync(WorkerFixture.RateLimitedProvider, originals, 3);
            await StallAttemptTrailAsync(TimeSpan.FromSeconds(2.5));
        });
    }

    [Fact]
    public async Task Should_keep_the_providers_limit_across_two_replicas_when_the_attempt_trail_stalls_both()
    {
        // Both replicas book fleet slots, then both stall on the trail for 2.5 s: their slots are long past when the
        // lock goes. Were each to drain its late calls at its own pace, the provider would see both paces at once
        // (the CI machine once showed sends 36 ms apart after a one-second stall).
        var second = await fx.StartWorkerAsync();
        try
        {
            await AssertRateKeptAsync(WorkerFixture.RateLimitedProvider, async originals =>
            {
                await WaitUntilBookedAsync(WorkerFixture.RateLimitedProvider, originals, 3);
                await StallAttemptTrailAsync(TimeSpan.FromSeconds(2.5));
            });
        }
        finally
        {
            await fx.StopWorkerAsync(second);
        }
    }

    /// <summary>Holds every write to the attempt trail (between the fence and the wire) for <paramref name="stall"/>.</summary>
    private async Task StallAttemptTrailAsync(TimeSpan stall)
    {
        await using var connection = await fx.Database.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var lockTrail = new Npgsql.NpgsqlCommand("LOCK TABLE attempts IN EXCLUSIVE MODE", connection, tx))
        {
            await lockTrail.ExecuteNonQueryAsync();
        }

        await Task.Delay(stall);
        await tx.CommitAsync();
    }

    [Fact]
    public async Task Should_count_the_retry_after_a_refused_access_token_against_the_rate()
    {
        // Every refund's first send is refused with 401xx01 (token no longer valid); the client fetches a new token
        // and sends again. That retry is a second call to the provider and must wait its turn like any other: were it
        // sent at once, the provider would see 10 calls a second at a limit of 5.
        fx.Sandbox.Faults.Script(WorkerFixture.RateLimitedProvider, SandboxOperation.Refund,
            [.. Enumerable.Range(0, 20).SelectMany(_ => new[] { FaultStep.Respond("4017801", "Invalid Token (B2B)"), FaultStep.Of(FaultKind.None) })]);
        await AssertRateKeptAsync(WorkerFixture.RateLimitedProvider, callsPerRefund: 2);
    }

    [Fact]
    public async Task Should_keep_the_providers_limit_across_two_replicas_together()
    {
        // A second worker on the same database and queues: the two share the provider's 5 calls a second through
        // provider_pacing. Were each to keep the limit on its own, the provider would see 10 a second.
        var second = await fx.StartWorkerAsync();
        try
        {
            var owners = new HashSet<string>();
            await AssertRateKeptAsync(WorkerFixture.RateLimitedProvider, async originals =>
            {
                // Both replicas take part: each holds leases on some of the refunds while they wait for their slots.
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
                while (owners.Count < 2 && DateTime.UtcNow < deadline)
                {
                    await using var db = fx.Database.CreateContext();
                    owners.UnionWith(await db.Operations.Where(o => o.LeaseOwner != null && o.Provider == WorkerFixture.RateLimitedProvider)
                        .Select(o => o.LeaseOwner!).Distinct().ToListAsync());
                    await Task.Delay(50);
                }
            });
            Assert.True(owners.Count >= 2, $"only {owners.Count} replica(s) held refunds: {string.Join(", ", owners)}");
        }
        finally
        {
            await fx.StopWorkerAsync(second);
        }
    }

    private async Task WaitUntilBookedAsync(string provider, IReadOnlyList<string> originals, int booked)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (originals.Count(o => fx.Sandbox.Ledger.Find(provider, o)?.Refunds.Count > 0) < booked)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than {booked} refunds booked in 30 s");
            await Task.Delay(10);
        }
    }

    /// <param name="callsPerRefund">Calls the provider sees per refund booked (2 when each is refused once first).</param>
    private async Task AssertRateKeptAsync(string provider, Func<IReadOnlyList<string>, Task>? meanwhile = null, int callsPerRefund = 1)
    {
        const int count = 20;
        var requests = Enumerable.Range(0, count).Select(_ =>
        {
            var original = fx.Sandbox.Original(provider, merchantId: Requests.NicepayMerchant);
            return (Request: Requests.NicepayRefund(original, 1_000m) with { Provider = provider }, Original: original);
        }).ToList();

        await Task.WhenAll(requests.Select(r => fx.PublishAsync(r.Request)));
        if (meanwhile is not null)
        {
            await meanwhile([.. requests.Select(r => r.Original.OriginalReferenceNo)]);
        }

        await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.Request.RequestId)], TimeSpan.FromSeconds(60));

        foreach (var (request, _) in requests)
        {
            var succeeded = Assert.IsType<RefundSucceeded>(fx.Outcomes.For(request.RequestId)[0].Message);
            // Waiting spends no attempt. (Refusals are scripted in call order, not per refund: a retry can draw the
            // next refusal, and its refund sends again later.)
            if (callsPerRefund == 1)
            {
                Assert.Equal(1, succeeded.Attempts);
            }
        }

        // The provider's own clock: when it booked each refund.
        var times = requests.Select(r => fx.Sandbox.Ledger.Find(provider, r.Original.OriginalReferenceNo)!.Refunds.Single().RefundTime)
            .Order().ToList();
        var span = (times[^1] - times[0]).TotalSeconds;
        // 20 calls at 5/s with no burst: the last starts at least 19 × 0.2 s after the first (less timer jitter, 10%).
        // With every refund refused once first, 40 calls: the first booking is the second call at the earliest and
        // the last is the last call, 38 × 0.2 s later.
        var least = 0.9 * (count - 1) * callsPerRefund / WorkerFixture.RateLimitPerSecond;
        Assert.True(span >= least, $"{count} refunds of {callsPerRefund} call(s) took only {span:0.00} s at a limit of {WorkerFixture.RateLimitPerSecond}/s");
        for (var i = 0; i < times.Count; i++)
        {
            var inOneSecond = times.Count(t => t >= times[i] && t < times[i] + TimeSpan.FromSeconds(1));
            Assert.True(inOneSecond <= WorkerFixture.RateLimitPerSecond + 1,
                $"{inOneSecond} refunds booked within one second ({callsPerRefund} call(s) each); booked at +{string.Join(", +", times.Select(t => $"{(t - times[0]).TotalSeconds:0.000}"))} s");
        }
    }

    [Fact]
    public async Task Should_reconcile_instead_of_failing_when_the_resend_after_an_unknown_outcome_is_refused()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        // Send: 504, nothing applied (outcome unknown). The query then shows nothing refunded, so the worker
        // re-sends, and the provider refuses that re-send with 404xx13 as it would if the first send had landed
        // late and used the refundable remainder. The next re-send is processed normally.
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund,
            FaultStep.Of(FaultKind.Error504), FaultStep.Respond("4047813", "Invalid Amount"));

        await fx.PublishAsync(request);
        var events = await fx.Outcomes.WaitForAsync(request.RequestId, WorkerFixture.OutcomeTimeout);

        Assert.IsNotType<RefundFailed>(events[0].Message);
        var succeeded = Assert.IsType<RefundSucceeded>(events[0].Message);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        await using var db = fx.Database.CreateContext();
        var op = await db.Operations.SingleAsync(o => o.RequestId == request.RequestId);
        var actions = await db.Attempts.Where(a => a.OperationId == op.Id).OrderBy(a => a.Number).Select(a => new { a.Action, a.ResponseCode }).ToListAsync();
        Assert.Equal(["send", "query", "send", "query", "send"], actions.Select(a => a.Action));
        Assert.Equal("4047813", actions[2].ResponseCode);
        Assert.Equal(3, succeeded.Attempts);
    }
}
