using System.Threading.RateLimiting;

namespace RefundWorker.Operations;

/// <summary>
/// The first-come, first-served queue of callers waiting for a permit, shared by the worker's own rate limiters
/// (<see cref="AdaptiveConcurrencyLimiter"/>, <see cref="PacingRateLimiter"/>). Every member is called under the
/// owner's lock, which is also taken by a waiter's cancellation to leave the queue.
/// </summary>
internal sealed class LimiterQueue(Lock ownerLock)
{
    private readonly Lock _ownerLock = ownerLock;
    private readonly LinkedList<Waiter> _waiters = new();

    public int Count => _waiters.Count;

    /// <summary>Joins the queue; the caller waits on the returned task, which a cancellation ends with the caller leaving.</summary>
    public Task<RateLimitLease> Enqueue(int permits, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(permits);
        waiter.Node = _waiters.AddLast(waiter);
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (queue, w) = ((LimiterQueue, Waiter))state!;
                lock (queue._ownerLock)
                {
                    if (w.Node?.List is not null)
                    {
                        queue._waiters.Remove(w.Node);
                    }
                }

                w.Completion.TrySetCanceled(token);
            }, (this, waiter));
        }

        return waiter.Completion.Task;
    }

    /// <summary>The permits the oldest waiter asks for, or null when nobody waits.</summary>
    public int? FirstPermits => _waiters.First?.Value.Permits;

    /// <summary>
    /// Hands <paramref name="lease"/> to the oldest waiter; false when that waiter had already given up (it is
    /// removed either way, and the lease is the caller's to take back).
    /// </summary>
    public bool GrantFirst(RateLimitLease lease)
    {
        var first = _waiters.First!.Value;
        _waiters.RemoveFirst();
        first.Registration.Unregister();
        return first.Completion.TrySetResult(lease);
    }

    /// <summary>Answers every waiter with <paramref name="refused"/> (the limiter is being disposed).</summary>
    public void RefuseAll(RateLimitLease refused)
    {
        foreach (var w in _waiters)
        {
            w.Completion.TrySetResult(refused);
        }

        _waiters.Clear();
    }

    private sealed class Waiter(int permits)
    {
        public int Permits { get; } = permits;

        public TaskCompletionSource<RateLimitLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}

/// <summary>A refusal: no permit was had.</summary>
internal sealed class RefusedLease : RateLimitLease
{
    public static readonly RefusedLease Instance = new();

    public override bool IsAcquired => false;

    public override IEnumerable<string> MetadataNames => [];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = null;
        return false;
    }
}
