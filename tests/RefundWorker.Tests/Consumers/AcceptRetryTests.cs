using RefundWorker.Consumers;

namespace RefundWorker.Tests.Consumers;

/// <summary>The retry schedule of a batch whose accept failed (the one MassTransit's UseMessageRetry gave these queues).</summary>
public sealed class AcceptRetryTests
{
    [Fact]
    public void Should_retry_eight_times_exponentially_from_700_ms_up_to_30_s()
    {
        Assert.Equal(
            [700, 1_200, 2_200, 4_200, 8_200, 16_200, 30_000, 30_000],
            AcceptRetry.Intervals.Select(i => (int)i.TotalMilliseconds));
    }
}
