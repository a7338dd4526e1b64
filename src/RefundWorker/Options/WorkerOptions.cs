using Microsoft.Extensions.Options;

namespace RefundWorker.Options;

/// <summary>
/// <c>Worker:*</c>: how hard the worker pushes, how it retries and how long it reconciles.
/// Per-provider overrides live under <c>Worker:Providers:&lt;name&gt;</c> (same provider names as <c>Snap:Providers</c>).
/// </summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>
    /// <c>Worker:NodeId</c>: this replica's identity, in its leases and in the X-EXTERNAL-IDs it generates (digits
    /// are used as they are there, anything else, such as a pod name, is hashed). Must differ per replica. Unset:
    /// <c>Snap:NodeId</c> if set (the older key, see <see cref="NodeIdOptions"/>), else host name and process id.
    /// </summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// Provider calls in flight at once in this process, all providers together. Each provider's own limit is sized
    /// below this by Little's law (<see cref="ProviderWorkerOptions.SizeConcurrency"/>), so this only has to leave
    /// room for it: at 256, 200 ms calls were capped at 256 / 0.2 s = 1,280/s and an accepted refund waited about
    /// half a second for a slot (README "Performance"); the per-provider upper bound is 1,024 too.
    /// </summary>
    public int Concurrency { get; set; } = 1024;

    /// <summary>Requests accepted in one PostgreSQL transaction (MassTransit batch size).</summary>
    public int AcceptBatchSize { get; set; } = 100;

    /// <summary>How long a batch may wait to fill before it is accepted anyway.</summary>
    public TimeSpan AcceptBatchTimeLimit { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Accept batches in flight at once per queue.</summary>
    public int AcceptConcurrency { get; set; } = 2;

    /// <summary>Outcomes written in one PostgreSQL transaction at most.</summary>
    public int OutcomeBatchSize { get; set; } = 256;

    /// <summary>How long the lease of a claimed operation lasts; a crashed replica's work is picked up after it.
    /// Must be longer than the longest provider call.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a lease must outlive a provider call's longest possible duration (its CallTimeout) when the
    /// call starts: room for the outcome's commit. A call whose lease cannot be made that long is not made.</summary>
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the scheduler looks for due retries, reconciliations and expired leases.</summary>
    public TimeSpan SchedulerPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Operations claimed by the scheduler in one statement.</summary>
    public int SchedulerBatchSize { get; set; } = 200;

    /// <summary>Outbox events published and marked sent per transaction.</summary>
    public int OutboxBatchSize { get; set; } = 500;

    /// <summary>How often the outbox is swept for events another process left behind (own events wake it at once).</summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Sent outbox rows are deleted after this long.</summary>
    public TimeSpan OutboxRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Status queries of an unknown outcome, as delays after the previous step. When exhausted the
    /// operation goes to NeedsReview. Kill Bill's Janitor schedule, compressed for a refund's life.</summary>
    public List<TimeSpan> ReconcileSchedule { get; set; } = [];

    /// <summary>An operation not resolved this long after it was accepted goes to NeedsReview with the reason,
    /// whatever it waits for (a provider removed from configuration, a breaker that stays open, a paused provider).</summary>
    public TimeSpan MaxOperationAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a request's ExternalId stays taken: <see cref="ExternalIdScope.Day"/> (what SNAP enforces: same provider,
    /// same Jakarta day) or <see cref="ExternalIdScope.Forever"/> (same provider, any day). A request reusing a taken
    /// ExternalId is rejected.
    /// </summary>
    public ExternalIdScope ExternalIdScope { get; set; } = ExternalIdScope.Day;

    /// <summary>How long in-flight provider calls may finish at shutdown; the rest is left to leases.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Defaults for every provider.</summary>
    public ProviderWorkerOptions Defaults { get; set; } = ProviderWorkerOptions.CreateDefaults();

    /// <summary>Per-provider overrides; unset values fall back on <see cref="Defaults"/>.</summary>
    public Dictionary<string, ProviderWorkerOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    internal static readonly TimeSpan[] DefaultReconcileSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2),
        TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), TimeSpan.FromHours(6),
    ];

    /// <summary>The effective schedule (configuration binding appends to lists, so the default is applied here).</summary>
    public IReadOnlyList<TimeSpan> EffectiveReconcileSchedule => ReconcileSchedule.Count > 0 ? ReconcileSchedule : DefaultReconcileSchedule;

    /// <summary>The effective settings of one provider.</summary>
    public ProviderWorkerOptions For(string provider)
    {
        var d = Defaults;
        if (!Providers.TryGetValue(provider, out var p))
        {
            return d;
        }

        return new ProviderWorkerOptions
        {
            MaxAttempts = p.MaxAttempts ?? d.MaxAttempts,
            BackoffBase = p.BackoffBase ?? d.BackoffBase,
            BackoffMax = p.BackoffMax ?? d.BackoffMax,
            Concurrency = p.Concurrency ?? d.Concurrency,
            SizeConcurrency = p.SizeConcurrency ?? d.SizeConcurrency,
            TargetPerSecond = p.TargetPerSecond ?? d.TargetPerSecond,
            ConcurrencyHeadroom = p.ConcurrencyHeadroom ?? d.ConcurrencyHeadroom,
            MinConcurrency = p.MinConcurrency ?? d.MinConcurrency,
            CallTimeout = p.CallTimeout ?? d.CallTimeout,
            RateLimitPerSecond = p.RateLimitPerSecond ?? d.RateLimitPerSecond,
            BreakerFailureRatio = p.BreakerFailureRatio ?? d.BreakerFailureRatio,
            BreakerMinimumThroughput = p.BreakerMinimumThroughput ?? d.BreakerMinimumThroughput,
            BreakerSamplingDuration = p.BreakerSamplingDuration ?? d.BreakerSamplingDuration,
            BreakerBreakDuration = p.BreakerBreakDuration ?? d.BreakerBreakDuration,
        };
    }
}

/// <summary>Retry and resilience settings of one provider (<c>Worker:Defaults</c> or <c>Worker:Providers:&lt;name&gt;</c>).</summary>
public sealed class ProviderWorkerOptions
{
    /// <summary>The built-in defaults (<c>Worker:Defaults</c> before configuration). Overrides start empty so
    /// that what they leave unset falls back on <c>Worker:Defaults</c>.</summary>
    public static ProviderWorkerOptions CreateDefaults() => new()
    {
        MaxAttempts = 8,
        BackoffBase = TimeSpan.FromSeconds(1),
        BackoffMax = TimeSpan.FromMinutes(5),
        // An upper bound since the limit is sized by Little's law (ProviderConcurrency): room for 3,000 calls/s
        // at about 230 ms with the 1.5 headroom.
        Concurrency = 1024,
        SizeConcurrency = true,
        TargetPerSecond = 3_000,
        ConcurrencyHeadroom = 1.5,
        MinConcurrency = 16,
        CallTimeout = TimeSpan.FromSeconds(30),
        BreakerFailureRatio = 0.5,
        BreakerMinimumThroughput = 20,
        BreakerSamplingDuration = TimeSpan.FromSeconds(10),
        BreakerBreakDuration = TimeSpan.FromSeconds(15),
    };

    /// <summary>Sends of one operation at most, for retryable answers (429, 403xx06, 405xx01, connect failures).</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>First retry delay; doubled each attempt, with full jitter.</summary>
    public TimeSpan? BackoffBase { get; set; }

    /// <summary>Upper bound of one retry delay.</summary>
    public TimeSpan? BackoffMax { get; set; }

    /// <summary>Calls in flight to this provider at once at most: the upper bound of the Little's-law sizing, or
    /// the fixed limit when <see cref="SizeConcurrency"/> is false.</summary>
    public int? Concurrency { get; set; }

    /// <summary>Size the concurrency limit from the provider's observed p95 latency (Little's law); false: fixed at
    /// <see cref="Concurrency"/>.</summary>
    public bool? SizeConcurrency { get; set; }

    /// <summary>The call rate the sizing provides for when the provider has no <see cref="RateLimitPerSecond"/>.</summary>
    public double? TargetPerSecond { get; set; }

    /// <summary>Factor over rate × p95 latency, for bursts and the latency above the p95.</summary>
    public double? ConcurrencyHeadroom { get; set; }

    /// <summary>The sized limit never goes below this.</summary>
    public int? MinConcurrency { get; set; }

    /// <summary>Calls started per second at most, in any sliding second (SNAP providers publish TPS limits; see
    /// Operations/PacingRateLimiter.cs). Unset: no limit. Work waiting for its turn keeps its place and its lease and
    /// spends no attempt. Kept by all replicas together (Operations/FleetPacing.cs).</summary>
    public double? RateLimitPerSecond { get; set; }

    /// <summary>Outer guard around one provider call (the SNAP client has its own HTTP timeout per provider).</summary>
    public TimeSpan? CallTimeout { get; set; }

    public double? BreakerFailureRatio { get; set; }

    public int? BreakerMinimumThroughput { get; set; }

    public TimeSpan? BreakerSamplingDuration { get; set; }

    /// <summary>While open, due operations of the provider wait; no attempt is spent.</summary>
    public TimeSpan? BreakerBreakDuration { get; set; }
}

/// <summary>Fails the start with a message that names the key.</summary>
public sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions o)
    {
        var errors = new List<string>();
        void Range(string key, double value, double min, double max)
        {
            if (value < min || value > max)
            {
                errors.Add($"Worker:{key} must be between {min} and {max} (was {value}).");
            }
        }

        void Positive(string key, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"Worker:{key} must be a positive duration (was {value}).");
            }
        }

        Range(nameof(o.Concurrency), o.Concurrency, 1, 10_000);
        Range(nameof(o.AcceptBatchSize), o.AcceptBatchSize, 1, 1_000);
        Range(nameof(o.AcceptConcurrency), o.AcceptConcurrency, 1, 64);
        Range(nameof(o.OutcomeBatchSize), o.OutcomeBatchSize, 1, 5_000);
        Range(nameof(o.SchedulerBatchSize), o.SchedulerBatchSize, 1, 5_000);
        Range(nameof(o.OutboxBatchSize), o.OutboxBatchSize, 1, 10_000);
        Positive(nameof(o.AcceptBatchTimeLimit), o.AcceptBatchTimeLimit);
        Positive(nameof(o.LeaseDuration), o.LeaseDuration);
        Positive(nameof(o.LeaseMargin), o.LeaseMargin);
        Positive(nameof(o.MaxOperationAge), o.MaxOperationAge);
        Positive(nameof(o.SchedulerPollInterval), o.SchedulerPollInterval);
        Positive(nameof(o.OutboxPollInterval), o.OutboxPollInterval);
        Positive(nameof(o.OutboxRetention), o.OutboxRetention);
        Positive(nameof(o.ShutdownTimeout), o.ShutdownTimeout);
        if (!Enum.IsDefined(o.ExternalIdScope))
        {
            errors.Add($"Worker:{nameof(o.ExternalIdScope)} must be {nameof(ExternalIdScope.Day)} or {nameof(ExternalIdScope.Forever)} (was {(int)o.ExternalIdScope}).");
        }

        for (var i = 0; i < o.ReconcileSchedule.Count; i++)
        {
            Positive($"ReconcileSchedule:{i}", o.ReconcileSchedule[i]);
        }

        ValidateProvider("Defaults", o.Defaults, requireAll: true);
        foreach (var (provider, p) in o.Providers)
        {
            ValidateProvider($"Providers:{provider}", p, requireAll: false);
            var effective = o.For(provider);
            if (effective.CallTimeout >= o.LeaseDuration)
            {
                errors.Add($"Worker:Providers:{provider}:CallTimeout ({effective.CallTimeout}) must be shorter than Worker:LeaseDuration ({o.LeaseDuration}).");
            }
        }

        if (o.Defaults.CallTimeout >= o.LeaseDuration)
        {
            errors.Add($"Worker:Defaults:CallTimeout ({o.Defaults.CallTimeout}) must be shorter than Worker:LeaseDuration ({o.LeaseDuration}): a lease must outlive the call it covers.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void ValidateProvider(string prefix, ProviderWorkerOptions p, bool requireAll)
        {
            void Need(string key, bool present)
            {
                if (requireAll && !present)
                {
                    errors.Add($"Worker:{prefix}:{key} is required.");
                }
            }

            Need(nameof(p.MaxAttempts), p.MaxAttempts.HasValue);
            Need(nameof(p.BackoffBase), p.BackoffBase.HasValue);
            Need(nameof(p.BackoffMax), p.BackoffMax.HasValue);
            Need(nameof(p.Concurrency), p.Concurrency.HasValue);
            Need(nameof(p.CallTimeout), p.CallTimeout.HasValue);
            if (p.MaxAttempts is { } m)
            {
                Range($"{prefix}:MaxAttempts", m, 1, 100);
            }

            if (p.Concurrency is { } c)
            {
                Range($"{prefix}:Concurrency", c, 1, 10_000);
            }

            if (p.TargetPerSecond is { } target)
            {
                Range($"{prefix}:TargetPerSecond", target, 0.01, 100_000);
            }

            if (p.ConcurrencyHeadroom is { } headroom)
            {
                Range($"{prefix}:ConcurrencyHeadroom", headroom, 1, 10);
            }

            if (p.MinConcurrency is { } minConcurrency)
            {
                Range($"{prefix}:MinConcurrency", minConcurrency, 1, 10_000);
            }

            if (p.RateLimitPerSecond is { } rate)
            {
                Range($"{prefix}:RateLimitPerSecond", rate, 0.01, 100_000);
            }

            if (p.BreakerFailureRatio is { } r)
            {
                Range($"{prefix}:BreakerFailureRatio", r, 0.01, 1);
            }

            if (p.BreakerMinimumThroughput is { } t)
            {
                Range($"{prefix}:BreakerMinimumThroughput", t, 2, 100_000);
            }

            foreach (var (key, value) in new[]
            {
                ("BackoffBase", p.BackoffBase), ("BackoffMax", p.BackoffMax), ("CallTimeout", p.CallTimeout),
                ("BreakerSamplingDuration", p.BreakerSamplingDuration), ("BreakerBreakDuration", p.BreakerBreakDuration),
            })
            {
                if (value is { } v)
                {
                    Positive($"{prefix}:{key}", v);
                }
            }

            if (p.BreakerSamplingDuration is { } s && s < TimeSpan.FromMilliseconds(500))
            {
                errors.Add($"Worker:{prefix}:BreakerSamplingDuration must be at least 0.5s (Polly's minimum).");
            }

            if (p.BreakerBreakDuration is { } b && b < TimeSpan.FromMilliseconds(500))
            {
                errors.Add($"Worker:{prefix}:BreakerBreakDuration must be at least 0.5s (Polly's minimum).");
            }
        }
    }
}
