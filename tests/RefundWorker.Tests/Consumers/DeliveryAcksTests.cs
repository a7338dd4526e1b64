using RefundWorker.Consumers;

namespace RefundWorker.Tests.Consumers;

/// <summary>
/// The multiple-ack watermark: batches settle out of order, and a tag may be acknowledged only once every lower tag
/// is settled, each tag once, in increasing order (RabbitMQ closes the channel on an unknown tag).
/// </summary>
public sealed class DeliveryAcksTests
{
    [Fact]
    public void Should_hold_the_ack_of_a_later_batch_until_the_earlier_one_settles_then_cover_both_with_one_tag()
    {
        var acks = new DeliveryAcks();

        // Two batches in flight: 1–3 and 4–6; the second finishes first.
        Assert.Equal(0UL, acks.Settle([4, 5, 6]));
        Assert.Equal(3, acks.Waiting);
        Assert.Equal(6UL, acks.Settle([1, 2, 3]));
        Assert.Equal(0, acks.Waiting);
    }

    [Fact]
    public void Should_ack_a_run_that_starts_at_the_watermark_at_once()
    {
        var acks = new DeliveryAcks();

        Assert.Equal(2UL, acks.Settle([1, 2]));
        Assert.Equal(4UL, acks.Settle([3, 4]));
    }

    [Fact]
    public void Should_stop_the_run_at_a_gap_left_by_interleaved_batches()
    {
        // Deliveries alternate between batches when two collect at once: 1, 3, 5 and 2, 4, 6.
        var acks = new DeliveryAcks();

        Assert.Equal(1UL, acks.Settle([1, 3, 5]));
        Assert.Equal(6UL, acks.Settle([2, 4, 6]));
    }

    [Fact]
    public void Should_refuse_to_settle_a_tag_twice()
    {
        var acks = new DeliveryAcks();
        acks.Settle([1, 2]);

        Assert.Throws<InvalidOperationException>(() => acks.Settle([2]));
        Assert.Throws<InvalidOperationException>(() => acks.Settle([5, 5]));
    }
}
