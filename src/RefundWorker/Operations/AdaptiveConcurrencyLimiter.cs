using System.Diagnostics;
using System.Threading.RateLimiting;

namespace RefundWorker.Operations;

/// <summary>
/// A concurrency limiter whose permit count can change while it is in use (<see cref="Limit"/>): what
/// <see cref="ProviderConcurrency"/> sizes from the provider's observed latency. Waiters are served first come,
/// first served; lowering the limit never revokes a held permit, it only holds back new ones until enough are
/// returned. System.Threading.RateLimiting's ConcurrencyLimiter has a fixed permit count, hence this one.
/// </summary>
public sealed class AdaptiveConcurrencyLimiter : RateLimiter
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly int _queueLimit;
    private int _limit;
    private int _inUse;
    private long _idleSince = Stopwatch.GetTimestamp();
    private long _successful;
    private long _failed;
    private bool _disposed;

    public AdaptiveConcurrencyLimiter(int limit, int queueLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLimit);
        _limit = limit;
        _queueLimit = queueLimit;
    }

    /// <summary>Permits handed out at once at most; setting it serves waiters the new limit has room for.</summary>
    public int Limit
    {
        get => Volatile.Read(ref _limit);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (_lock)
            {
                _limit = value;
                Drain();
            }
        }
    }

    public int InUse => Volatile.Read(ref _inUse);

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                return _inUse == 0 && _waiters.Count == 0 ? Stopwatch.GetElapsedTime(_idleSince) : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = Math.Max(0, _limit - _inUse),
                CurrentQueuedCount = _waiters.Count,
                TotalSuccessfulLeases = Interlocked.Read(ref _successful),
                TotalFailedLeases = Interlocked.Read(ref _failed),
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            if (!_disposed && _waiters.Count == 0 && _inUse + permitCount <= _limit)
            {
                return Grant(permitCount);
            }
        }

        Interlocked.Increment(ref _failed);
        return Refused.Instance;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_lock)
        {
            if (!_disposed && _waiters.Count == 0 && _inUse + permitCount <= _limit)
            {
                return ValueTask.FromResult<RateLimitLease>(Grant(permitCount));
            }

            if (_disposed || _waiters.Count >= _queueLimit)
            {
                Interlocked.Increment(ref _failed);
                return ValueTask.FromResult<RateLimitLease>(Refused.Instance);
            }

            waiter = new Waiter(permitCount);
            waiter.Node = _waiters.AddLast(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (limiter, w) = ((AdaptiveConcurrencyLimiter, Waiter))state!;
                lock (limiter._lock)
                {
                    if (w.Node?.List is not null)
                    {
                        limiter._waiters.Remove(w.Node);
                    }
                }

                w.Completion.TrySetCanceled(token);
            }, (this, waiter));
        }

        return new ValueTask<RateLimitLease>(waiter.Completion.Task);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                _disposed = true;
                foreach (var w in _waiters)
                {
                    w.Completion.TrySetResult(Refused.Instance);
                }

                _waiters.Clear();
            }
        }

        base.Dispose(disposing);
    }

    // Under _lock.
    private Lease Grant(int permitCount)
    {
        _inUse += permitCount;
        Interlocked.Increment(ref _successful);
        return new Lease(this, permitCount);
    }

    // Under _lock: hand freed permits to the oldest waiters that fit, in order.
    private void Drain()
    {
        while (_waiters.First is { } first && _inUse + first.Value.Permits <= _limit)
        {
            _waiters.RemoveFirst();
            var w = first.Value;
            w.Registration.Unregister();
            var lease = Grant(w.Permits);
            if (!w.Completion.TrySetResult(lease))
            {
                // Cancelled in the meantime: the permits go back.
                _inUse -= w.Permits;
            }
        }
    }

    private void Release(int permitCount)
    {
        lock (_lock)
        {
            _inUse -= permitCount;
            Drain();
            if (_inUse == 0 && _waiters.Count == 0)
            {
                _idleSince = Stopwatch.GetTimestamp();
            }
        }
    }

    private sealed class Waiter(int permits)
    {
        public int Permits { get; } = permits;
        public TaskCompletionSource<RateLimitLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Waiter>? Node { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
    }

    private sealed class Lease(AdaptiveConcurrencyLimiter owner, int permits) : RateLimitLease
    {
        private int _released;

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(permits);
            }

            base.Dispose(disposing);
        }
    }

    private sealed class Refused : RateLimitLease
    {
        public static readonly Refused Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
