using Microsoft.Extensions.Configuration;
using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// The provider's concurrency limit follows Little's law (rate × observed p95 latency × headroom, bounded by
/// Worker:…:Concurrency), so a slow provider is not capped at a limit sized for a fast one.
/// </summary>
public sealed class ConcurrencySizingTests
{
    [Theory]
    [InlineData(3000, 200, 1.5, 16, 1024, 900)] // 3,000/s of 200 ms calls need 600 in flight, 900 with headroom
    [InlineData(3000, 1, 1.5, 16, 1024, 16)] // fast provider: the floor
    [InlineData(3000, 2000, 1.5, 16, 1024, 1024)] // very slow provider: the configured bound
    [InlineData(100, 200, 1.0, 1, 1024, 20)]
    [InlineData(3000, 200, 1.5, 16, 4, 4)] // a bound below the floor wins
    public void Should_size_rate_times_latency_times_headroom_within_the_bounds(double rate, int latencyMs, double headroom, int min, int max, int expected)
    {
        Assert.Equal(expected, ConcurrencySizing.Size(rate, TimeSpan.FromMilliseconds(latencyMs), headroom, min, max));
    }

    [Fact]
    public async Task Should_hold_back_a_caller_beyond_the_limit_and_let_it_in_when_the_limit_is_raised()
    {
        using var limiter = new AdaptiveConcurrencyLimiter(limit: 2, queueLimit: 10);
        using var first = await limiter.AcquireAsync();
        using var second = await limiter.AcquireAsync();
        var third = limiter.AcquireAsync().AsTask();
        await Task.Delay(50);
        Assert.False(third.IsCompleted);

        limiter.Limit = 3;

        using var lease = await third.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(lease.IsAcquired);
        Assert.Equal(3, limiter.InUse);
    }

    [Fact]
    public async Task Should_not_revoke_held_permits_when_the_limit_is_lowered_and_serve_waiters_only_below_it()
    {
        using var limiter = new AdaptiveConcurrencyLimiter(limit: 3, queueLimit: 10);
        var a = await limiter.AcquireAsync();
        var b = await limiter.AcquireAsync();
        var c = await limiter.AcquireAsync();
        limiter.Limit = 1;
        var waiter = limiter.AcquireAsync().AsTask();

        a.Dispose();
        b.Dispose();
        await Task.Delay(50);
        Assert.False(waiter.IsCompleted); // still one in use, the new limit is 1

        c.Dispose();
        using var lease = await waiter.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(lease.IsAcquired);
    }

    [Fact]
    public async Task Should_free_the_place_of_a_cancelled_waiter()
    {
        using var limiter = new AdaptiveConcurrencyLimiter(limit: 1, queueLimit: 10);
        var held = await limiter.AcquireAsync();
        using var cts = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync(1, cts.Token).AsTask();
        var next = limiter.AcquireAsync().AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        held.Dispose();
        using var lease = await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(lease.IsAcquired);
        Assert.Equal(1, limiter.InUse);
    }

    [Fact]
    public void Should_raise_the_limit_of_a_slow_provider_above_the_old_fixed_128_and_keep_a_fast_one_small()
    {
        var concurrency = new ProviderConcurrency(Microsoft.Extensions.Options.Options.Create(Bind([])));
        for (var i = 0; i < ProviderConcurrency.Window; i++)
        {
            concurrency.Record("slow", TimeSpan.FromMilliseconds(200));
            concurrency.Record("fast", TimeSpan.FromMilliseconds(2));
        }

        // Defaults: 3,000/s target × 0.2 s × 1.5 = 900, within the 1,024 bound; a 2 ms provider gets the floor of 16.
        Assert.Equal(900, concurrency.LimitOf("slow"));
        Assert.Equal(16, concurrency.LimitOf("fast"));
    }

    [Fact]
    public void Should_size_from_the_rate_limit_and_keep_Concurrency_as_the_bound_or_the_fixed_override()
    {
        var concurrency = new ProviderConcurrency(Microsoft.Extensions.Options.Options.Create(Bind(new()
        {
            ["Worker:Providers:limited:RateLimitPerSecond"] = "500",
            ["Worker:Providers:bounded:Concurrency"] = "128",
            ["Worker:Providers:fixed:SizeConcurrency"] = "false",
            ["Worker:Providers:fixed:Concurrency"] = "128",
        })));
        foreach (var provider in new[] { "limited", "bounded", "fixed" })
        {
            for (var i = 0; i < ProviderConcurrency.Window; i++)
            {
                concurrency.Record(provider, TimeSpan.FromMilliseconds(200));
            }
        }

        Assert.Equal(150, concurrency.LimitOf("limited")); // 500/s × 0.2 s × 1.5
        Assert.Equal(128, concurrency.LimitOf("bounded"));
        Assert.Equal(128, concurrency.LimitOf("fixed"));
    }

    private static WorkerOptions Bind(Dictionary<string, string?> values)
    {
        var o = new WorkerOptions();
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Worker").Bind(o);
        return o;
    }
}
