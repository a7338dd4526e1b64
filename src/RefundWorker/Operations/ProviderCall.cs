using RefundWorker.Snap;

namespace RefundWorker.Operations;

/// <summary>What the worker asks a provider.</summary>
public enum CallKind
{
    /// <summary>The refund or cancel itself.</summary>
    Send,

    /// <summary>The status query about the original payment.</summary>
    Query,
}

/// <summary>Why a call never reached the provider.</summary>
public enum NotSentReason
{
    /// <summary>Sent (or may have been): not a hold-back.</summary>
    None,

    /// <summary>The provider's circuit breaker is open.</summary>
    BreakerOpen,

    /// <summary>The provider's concurrency or rate limiter queue is full.</summary>
    LimiterFull,

    /// <summary>The lease could not be confirmed in PostgreSQL right before the call.</summary>
    LeaseUnconfirmed,

    /// <summary>Another holder has the operation now: this work is dropped, the holder carries on.</summary>
    LeaseLost,

    /// <summary>The process is stopping.</summary>
    ShuttingDown,

    /// <summary>The attempt trail could not record the X-EXTERNAL-ID before sending (PostgreSQL away).</summary>
    AttemptNotRecorded,

    /// <summary>The call's slot under the provider's rate limit, shared by the replicas, could not be booked in
    /// PostgreSQL.</summary>
    SlotNotBooked,
}

/// <summary>One provider call as the state machine sees it. <see cref="NotSent"/>: the pipeline held it back
/// (breaker open, limiter queue full, lease not confirmed, shutting down): nothing reached the provider, nothing is spent.</summary>
public sealed record ProviderCall(
    CallKind Kind,
    OutcomeClass Outcome,
    int? HttpStatus,
    ResponseCode? Code,
    string? ResponseMessage,
    TransportFailure? Transport,
    string ExternalId,
    DateTimeOffset RequestedAt,
    TimeSpan Latency,
    string? Error,
    bool NotSent = false,
    RefundResponse? Refund = null,
    CancelResponse? Cancel = null,
    QueryResponse? Query = null)
{
    public string? TraceId { get; init; }

    public NotSentReason HeldBack { get; init; }

    /// <summary>The call refused 401xx01 (token) before this one was retried with a new X-EXTERNAL-ID.</summary>
    public SnapRefusedCall? Refreshed { get; init; }
}
