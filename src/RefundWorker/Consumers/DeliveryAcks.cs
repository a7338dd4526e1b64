namespace RefundWorker.Consumers;

/// <summary>
/// Which deliveries of one channel may be acknowledged, as one multiple-ack per run of settled deliveries instead of
/// one <c>basic.ack</c> frame per message (MassTransit's way, a fifth of the worker's CPU at a backlog).
/// </summary>
/// <remarks>
/// RabbitMQ numbers a channel's deliveries 1, 2, 3, … With several batches in flight a batch is not a run of
/// consecutive tags, so a multiple-ack may cover only tags that are all settled: <see cref="Settle"/> returns the
/// highest tag below which every delivery is settled, once, in increasing order. Acknowledging a tag twice closes the
/// channel (<c>PRECONDITION_FAILED - unknown delivery tag</c>) and returns every unacknowledged message on it, so the
/// caller sends what this returns in the order it was returned (under its own lock). One instance per channel: after
/// a reconnect tags start again at 1.
/// </remarks>
internal sealed class DeliveryAcks
{
    private readonly Lock _lock = new();
    private readonly HashSet<ulong> _settled = [];
    private ulong _acknowledged;

    /// <summary>
    /// Marks <paramref name="tags"/> settled; returns the tag to acknowledge with <c>multiple: true</c>, or 0 when a
    /// lower delivery is still open.
    /// </summary>
    public ulong Settle(IEnumerable<ulong> tags)
    {
        lock (_lock)
        {
            foreach (var tag in tags)
            {
                if (tag <= _acknowledged || !_settled.Add(tag))
                {
                    throw new InvalidOperationException($"Delivery {tag} was settled twice.");
                }
            }

            var upTo = _acknowledged;
            while (_settled.Remove(upTo + 1))
            {
                upTo++;
            }

            if (upTo == _acknowledged)
            {
                return 0;
            }

            _acknowledged = upTo;
            return upTo;
        }
    }

    /// <summary>Deliveries settled but waiting for a lower one (for tests and diagnostics).</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _settled.Count;
            }
        }
    }
}
