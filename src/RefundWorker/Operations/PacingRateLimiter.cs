using System.Threading.RateLimiting;

namespace RefundWorker.Operations;

/// <summary>
/// A provider's published calls-per-second limit, kept in every sliding second: a caller is let go no sooner than
/// 1 / <c>RateLimitPerSecond</c> after the previous one actually went, first come, first served. This is a token bucket
/// of one token, refilled continuously from the moment it was last taken (the generic cell rate algorithm with no
/// burst tolerance). System.Threading.RateLimiting's TokenBucketRateLimiter refills on timer ticks whose phase has
/// nothing to do with the last call, so the stored token, a tick right after it and a tick that fired a millisecond
/// early put rate + 2 calls into one second at the provider; and a limiter that books slots in advance lets every
/// booked caller go at once after a stall (a busy thread pool firing its timers late). Both were seen in
/// ProviderLimitsTests. Here the next grant is timed from the last real one, so a stall costs throughput and never
/// bursts. At hundreds of calls per second the timer's resolution keeps the rate slightly below the limit, never above.
/// <para>
/// Two stages, both paced this way. The permit (<see cref="RateLimiter.AcquireAsync"/>) is where work queues: it is
/// taken before the lease fence and the attempt trail's commit, so waiting for it costs no lease and no attempt.
/// Between the permit and the wire those two PostgreSQL steps can stall (a lock, a slow commit, a checkpoint): the
/// permits granted meanwhile would then reach the provider together (ProviderLimitsTests once saw 12 calls within
/// 10 ms at a limit of 5 per second). So each request also passes <see cref="WaitToSendAsync"/> right before it goes
/// on the wire, which keeps the same spacing between actual sends; while requests wait there, no new permit is
/// granted, so a stall's bunch drains at the provider's rate instead of lengthening every later call's wait.
/// In normal running a request passes the second stage at once or within a few milliseconds.
/// </para>
/// <para>
/// Between the two stages the call books its slot in the fleet (<see cref="FleetPacing"/>, the limit shared by all
/// replicas). When that slot is more than one interval off (other replicas are calling too), the call waits for it
/// under <see cref="HoldingPermitsAsync{T}"/>: this replica grants no new permit meanwhile, so it books no faster than
/// its share and the waits stay within a few intervals however many replicas share the limit. A lone replica's
/// slots are at most an interval off, so its permits are never held and its bookings overlap.
/// </para>
/// </summary>
public sealed class PacingRateLimiter : RateLimiter
{
    private static readonly RateLimitLease Granted = new GrantedLease();
    private static readonly RateLimitLease Refused = RefusedLease.Instance;

    private readonly Lock _lock;
    private readonly LimiterQueue _waiters;
    private readonly LimiterQueue _senders;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly long _interval;
    private readonly int _queueLimit;
    private long _lastGrant;
    private long _lastSend;
    private int _holds;
    private long _successful;
    private long _failed;
    private bool _disposed;

    /// <param name="perSecond">Calls let go per second at most.</param>
    /// <param name="queueLimit">Callers waiting at most; more are refused (not sent, no attempt spent).</param>
    /// <param name="time">The clock the spacing is measured on.</param>
    public PacingRateLimiter(double perSecond, int queueLimit, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLimit);
        _time = time;
        _interval = Math.Max(1, (long)Math.Ceiling(time.TimestampFrequency / perSecond));
        Interval = TimeSpan.FromSeconds(1 / perSecond);
        _queueLimit = queueLimit;
        _lock = new Lock();
        _waiters = new LimiterQueue(_lock);
        _senders = new LimiterQueue(_lock);
        _lastGrant = time.GetTimestamp() - _interval;
        _lastSend = _lastGrant;
        _timer = time.CreateTimer(static s => ((PacingRateLimiter)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>1 / <c>RateLimitPerSecond</c>: the spacing kept between calls (and between the fleet's slots).</summary>
    public TimeSpan Interval { get; }

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                var now = _time.GetTimestamp();
                return _waiters.Count == 0 && _senders.Count == 0 && _holds == 0 && now - _lastGrant >= _interval && now - _lastSend >= _interval
                    ? _time.GetElapsedTime(Math.Max(_lastGrant, _lastSend) + _interval, now)
                    : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _waiters.Count == 0 && _senders.Count == 0 && _holds == 0 && _time.GetTimestamp() - _lastGrant >= _interval ? 1 : 0,
                CurrentQueuedCount = _waiters.Count + _senders.Count,
                TotalSuccessfulLeases = Interlocked.Read(ref _successful),
                TotalFailedLeases = Interlocked.Read(ref _failed),
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, 1);
        lock (_lock)
        {
            if (TryGrantNow(permitCount))
            {
                return Granted;
            }
        }

        Interlocked.Increment(ref _failed);
        return Refused;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, 1);
        lock (_lock)
        {
            if (TryGrantNow(permitCount))
            {
                return ValueTask.FromResult(Granted);
            }

            if (_disposed || _waiters.Count >= _queueLimit)
            {
                Interlocked.Increment(ref _failed);
                return ValueTask.FromResult(Refused);
            }

            var granted = _waiters.Enqueue(permitCount, cancellationToken);
            if (_waiters.Count == 1)
            {
                ScheduleNext();
            }

            return new ValueTask<RateLimitLease>(granted);
        }
    }

    /// <summary>
    /// The second stage, right before a request goes on the wire (after its permit and everything done between):
    /// returns when this request is at least 1 / <c>RateLimitPerSecond</c> after the previous one sent, first come,
    /// first served. Never refuses: the request is already on the attempt trail, and holding it back is the stage's
    /// whole job. A disposed limiter lets everyone go.
    /// </summary>
    public async ValueTask WaitToSendAsync(CancellationToken cancellationToken)
    {
        Task<RateLimitLease> turn;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (_disposed || (_senders.Count == 0 && now - _lastSend >= _interval))
            {
                _lastSend = now;
                return;
            }

            turn = _senders.Enqueue(1, cancellationToken);
            if (_senders.Count == 1)
            {
                ScheduleNext();
            }
        }

        await turn.ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> (waiting for the call's slot in the fleet) with new permits held back until it
    /// ends. Callers already waiting keep their places.
    /// </summary>
    public async Task<T> HoldingPermitsAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _holds++;
        }

        try
        {
            return await work(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                if (--_holds == 0)
                {
                    ScheduleNext();
                }
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                _disposed = true;
                _waiters.RefuseAll(Refused);
                _senders.RefuseAll(Granted);
            }

            _timer.Dispose();
        }

        base.Dispose(disposing);
    }

    // Under _lock. A permit count of 0 asks whether one could be had, without taking it.
    private bool TryGrantNow(int permitCount)
    {
        var now = _time.GetTimestamp();
        if (_disposed || _waiters.Count > 0 || _senders.Count > 0 || _holds > 0 || now - _lastGrant < _interval)
        {
            return false;
        }

        if (permitCount > 0)
        {
            _lastGrant = now;
            Interlocked.Increment(ref _successful);
        }

        return true;
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            // One caller per interval at each stage: a late timer lets the oldest caller go and times the next from
            // now. Sends first; permits only once no send waits.
            while (now - _lastSend >= _interval && _senders.Count > 0)
            {
                if (_senders.GrantFirst(Granted))
                {
                    _lastSend = now;
                }
            }

            while (now - _lastGrant >= _interval && _senders.Count == 0 && _holds == 0 && _waiters.Count > 0)
            {
                if (_waiters.GrantFirst(Granted))
                {
                    _lastGrant = now;
                    Interlocked.Increment(ref _successful);
                }
            }

            ScheduleNext();
        }
    }

    // Under _lock.
    private void ScheduleNext()
    {
        // Permits wait for the holds to end (HoldingPermitsAsync schedules again then); sends do not.
        if (_disposed || (_senders.Count == 0 && (_waiters.Count == 0 || _holds > 0)))
        {
            return;
        }

        var next = _senders.Count > 0 ? _lastSend + _interval : _lastGrant + _interval;
        var due = _time.GetElapsedTime(_time.GetTimestamp(), next);
        _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private sealed class GrantedLease : RateLimitLease
    {
        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
