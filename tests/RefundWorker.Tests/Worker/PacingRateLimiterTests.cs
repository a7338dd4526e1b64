using Microsoft.Extensions.Time.Testing;
using RefundWorker.Operations;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// The provider rate limit's own clockwork, on a fake clock: callers go one interval apart in arrival order, no
/// sliding second ever holds more than the rate however they arrive, a late timer never lets a queue out at once, and
/// requests whose permits were granted before a stall reach the wire one interval apart.
/// </summary>
public sealed class PacingRateLimiterTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Should_let_callers_go_one_interval_apart_in_the_order_they_asked()
    {
        var time = new FakeTimeProvider();
        using var limiter = new PacingRateLimiter(5, queueLimit: 100, time);
        var callers = Enumerable.Range(0, 6).Select(_ => limiter.AcquireAsync().AsTask()).ToList();

        Assert.True((await callers[0]).IsAcquired);
        for (var k = 1; k < callers.Count; k++)
        {
            time.Advance(Interval - TimeSpan.FromMilliseconds(1));
            await Task.Delay(20);
            Assert.False(callers[k].IsCompleted, $"caller {k} went before its interval");
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True((await callers[k].WaitAsync(TimeSpan.FromSeconds(5))).IsAcquired);
            Assert.All(callers.Skip(k + 1), c => Assert.False(c.IsCompleted, "a later caller went first"));
        }
    }

    [Fact]
    public void Should_never_let_more_callers_than_the_rate_into_any_second_however_they_arrive()
    {
        var time = new FakeTimeProvider();
        using var limiter = new PacingRateLimiter(5, queueLimit: 10_000, time);
        var random = new Random(7);
        var grants = new List<TimeSpan>();
        var start = time.GetUtcNow();
        long seen = 0;
        void Count()
        {
            var total = limiter.GetStatistics()!.TotalSuccessfulLeases;
            for (; seen < total; seen++)
            {
                grants.Add(time.GetUtcNow() - start);
            }
        }

        // Bursts and lulls for 20 s, in 1 ms steps; then until the queue is empty.
        for (var ms = 0; ms < 20_000 || limiter.GetStatistics()!.CurrentQueuedCount > 0; ms++)
        {
            if (ms < 20_000 && random.Next(300) == 0)
            {
                for (var n = random.Next(1, 9); n > 0; n--)
                {
                    _ = limiter.AcquireAsync().AsTask();
                }
            }

            Count();
            time.Advance(TimeSpan.FromMilliseconds(1));
            Count();
        }

        Assert.True(grants.Count > 50, $"only {grants.Count} grants");
        for (var i = 0; i < grants.Count; i++)
        {
            var inOneSecond = grants.Count(t => t >= grants[i] && t < grants[i] + TimeSpan.FromSeconds(1));
            Assert.True(inOneSecond <= 5, $"{inOneSecond} callers let go within one second from {grants[i]}");
        }
    }

    [Fact]
    public async Task Should_let_one_caller_go_after_a_stall_and_time_the_next_from_then()
    {
        // The timer fires late (a busy thread pool): the fake clock jumps 1 s past the due time in one step.
        var time = new FakeTimeProvider();
        using var limiter = new PacingRateLimiter(5, queueLimit: 100, time);
        using var first = await limiter.AcquireAsync();
        var waiting = Enumerable.Range(0, 4).Select(_ => limiter.AcquireAsync().AsTask()).ToList();

        time.Advance(TimeSpan.FromSeconds(1.2));
        await waiting[0].WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(20);

        Assert.All(waiting.Skip(1), w => Assert.False(w.IsCompleted, "a stall let the queue out at once"));
        time.Advance(Interval);
        await waiting[1].WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Should_space_the_sends_of_permits_granted_during_a_stall_and_grant_no_permit_until_they_went()
    {
        // Three permits granted one interval apart; the work behind them stalls (a PostgreSQL lock) and all three
        // reach the wire at the same instant, with a fourth caller waiting for a permit.
        var time = new FakeTimeProvider();
        using var limiter = new PacingRateLimiter(5, queueLimit: 100, time);
        for (var k = 0; k < 3; k++)
        {
            using var permit = await limiter.AcquireAsync();
            Assert.True(permit.IsAcquired);
            time.Advance(Interval);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        var sends = Enumerable.Range(0, 3).Select(_ => limiter.WaitToSendAsync(CancellationToken.None).AsTask()).ToList();
        var fourth = limiter.AcquireAsync().AsTask();

        await sends[0].WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(20);
        Assert.False(sends[1].IsCompleted, "two sends of one stall went together");
        Assert.False(fourth.IsCompleted, "a permit was granted while sends of the stall waited");
        time.Advance(Interval);
        await sends[1].WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(20);
        Assert.False(sends[2].IsCompleted, "two sends of one stall went together");
        Assert.False(fourth.IsCompleted, "a permit was granted while a send of the stall waited");
        time.Advance(Interval);
        await sends[2].WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True((await fourth.WaitAsync(TimeSpan.FromSeconds(5))).IsAcquired);
    }

    [Fact]
    public async Task Should_grant_no_permit_while_a_call_waits_for_its_slot_in_the_fleet_and_grant_one_when_it_ends()
    {
        var time = new FakeTimeProvider();
        using var limiter = new PacingRateLimiter(5, queueLimit: 100, time);
        using var first = await limiter.AcquireAsync();
        var slot = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = limiter.HoldingPermitsAsync(_ => slot.Task, CancellationToken.None);
        var next = limiter.AcquireAsync().AsTask();

        time.Advance(TimeSpan.FromSeconds(2));
        await Task.Delay(20);
        Assert.False(next.IsCompleted, "a permit was granted while a call waited for its fleet slot");

        slot.SetResult(true);
        Assert.True(await holding.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True((await next.WaitAsync(TimeSpan.FromSeconds(5))).IsAcquired);
    }

    [Fact]
    public async Task Should_let_a_send_go_at_once_when_the_previous_send_is_an_interval_old()
    {
        var time = new FakeTimeProvider();
        using var limiter = new PacingRateLimiter(5, queueLimit: 100, time);
        using var permit = await limiter.AcquireAsync();
        await limiter.WaitToSendAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        var early = limiter.WaitToSendAsync(CancellationToken.None).AsTask();
        await Task.Delay(20);
        Assert.False(early.IsCompleted, "a send went sooner than one interval after the previous one");
        time.Advance(Interval);
        await early.WaitAsync(TimeSpan.FromSeconds(5));

        time.Advance(Interval);
        Assert.True(limiter.WaitToSendAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully, "a send waited though the last was an interval old");
    }

    [Fact]
    public async Task Should_give_the_place_of_a_caller_who_gave_up_to_the_next()
    {
        var time = new FakeTimeProvider();
        using var limiter = new PacingRateLimiter(5, queueLimit: 100, time);
        using var first = await limiter.AcquireAsync();
        using var cts = new CancellationTokenSource();
        var quitter = limiter.AcquireAsync(1, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitter);

        var next = limiter.AcquireAsync().AsTask();
        time.Advance(Interval);

        Assert.True((await next.WaitAsync(TimeSpan.FromSeconds(5))).IsAcquired);
    }

    [Fact]
    public async Task Should_refuse_a_caller_beyond_the_queue_limit()
    {
        var time = new FakeTimeProvider();
        using var limiter = new PacingRateLimiter(5, queueLimit: 2, time);
        using var first = await limiter.AcquireAsync();
        _ = limiter.AcquireAsync().AsTask();
        _ = limiter.AcquireAsync().AsTask();

        using var refused = await limiter.AcquireAsync();

        Assert.False(refused.IsAcquired);
        Assert.Equal(2, limiter.GetStatistics()!.CurrentQueuedCount);
    }
}
