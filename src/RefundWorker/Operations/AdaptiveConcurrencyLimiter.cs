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
    private readonly Lock _lock;
    private readonly LimiterQueue _waiters;
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
        _lock = new Lock();
        _waiters = new LimiterQueue(_lock);
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
        return RefusedLease.Instance;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_disposed && _waiters.Count == 0 && _inUse + permitCount <= _limit)
            {
                return ValueTask.FromResult<RateLimitLease>(Grant(permitCount));
            }

            if (_disposed || _waiters.Count >= _queueLimit)
            {
                Interlocked.Increment(ref _failed);
                return ValueTask.FromResult<RateLimitLease>(RefusedLease.Instance);
            }

            return new ValueTask<RateLimitLease>(_waiters.Enqueue(permitCount, cancellationToken));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                _disposed = true;
                _waiters.RefuseAll(RefusedLease.Instance);
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
        while (_waiters.FirstPermits is { } permits && _inUse + permits <= _limit)
        {
            var lease = Grant(permits);
            if (!_waiters.GrantFirst(lease))
            {
                // Cancelled in the meantime: the permits go back.
                _inUse -= permits;
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
}
