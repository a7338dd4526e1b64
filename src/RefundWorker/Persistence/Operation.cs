namespace RefundWorker.Persistence;

/// <summary>What an operation does at the provider.</summary>
public enum OperationKind
{
    Refund,
    Cancel,
}

/// <summary>
/// The state machine of one refund or cancel (stored as text in <c>operations.state</c>).
/// </summary>
/// <remarks>
/// <code>
/// accept ─┬─ invalid / conflicting ──────────────────────────────► Rejected
///         └─► Sending ── success ────────────────────────────────► Succeeded
///               │  ├──── permanent ──────────────────────────────► Failed
///               │  ├──── retryable (backoff) ──► Pending ──► Sending   (attempts exhausted ► Failed)
///               │  └──── unknown / pending / lease expired ──► Reconciling
///   Reconciling ── query: effected ──────────────────────────────► Succeeded
///               ── query: not effected ──► re-send, same partnerRefundNo (as Sending)
///               ── still unknown ──► Reconciling (next step of the schedule; exhausted ► NeedsReview)
/// </code>
/// Sending means "a provider call may be in flight under the lease": a replica that finds one with an expired
/// lease never re-sends blindly, it reconciles. Providers without a status query (the bank) reconcile by re-sending
/// the same partnerRefundNo and reading 409xx01 / 404xx18 as "already done".
/// </remarks>
public enum OperationState
{
    /// <summary>Not sent yet (or known not to have landed); due at <c>next_attempt_at</c>.</summary>
    Pending,

    /// <summary>A send may be in flight under the lease.</summary>
    Sending,

    /// <summary>The outcome of a send is unknown; a status query (or, without one, a re-send) is due.</summary>
    Reconciling,
    Succeeded,
    Failed,
    Rejected,
    NeedsReview,
}

/// <summary>One refund or cancel request, its idempotency keys, its schedule and its outcome (<c>operations</c>).</summary>
public sealed class Operation
{
    public Guid Id { get; set; }
    public OperationKind Kind { get; set; }
    public Guid RequestId { get; set; }
    public string Provider { get; set; } = string.Empty;
    public string? MerchantId { get; set; }
    public string? PartnerRefundNo { get; set; }

    /// <summary>X-EXTERNAL-ID of the first attempt, from the message.</summary>
    public string ExternalId { get; set; } = string.Empty;

    /// <summary>The Jakarta date the request was accepted: the day its <see cref="ExternalId"/> belongs to, since SNAP
    /// keeps X-EXTERNAL-ID unique per partner per day (see Worker:ExternalIdScope).</summary>
    public DateOnly ExternalIdDate { get; set; }
    public string? OriginalReferenceNo { get; set; }
    public string? OriginalPartnerReferenceNo { get; set; }
    public string? OriginalExternalId { get; set; }
    public string? ExternalStoreId { get; set; }
    public string? SubMerchantId { get; set; }
    public decimal? Amount { get; set; }
    public string? Currency { get; set; }
    public string? Reason { get; set; }

    /// <summary>JSON object of strings.</summary>
    public string? AdditionalInfo { get; set; }

    /// <summary>SHA-256 (hex) over the fields that make "the same request": a key reused with another
    /// fingerprint is a conflict.</summary>
    public string Fingerprint { get; set; } = string.Empty;
    public OperationState State { get; set; }

    /// <summary>Sends made (refund/cancel calls, a bank's reconciling re-sends included), not counting status queries
    /// nor calls refused for their token; the outcome events' <c>Attempts</c>. The <c>attempts</c> table (the trail)
    /// has a row for every provider call.</summary>
    public int Attempts { get; set; }

    /// <summary>Reconciliation steps taken (status queries, or re-sends for providers without one, which are counted
    /// in <see cref="Attempts"/> too).</summary>
    public int Queries { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public string? LeaseOwner { get; set; }

    /// <summary>Fences outcome writes: only the holder of the current lease may record an outcome.</summary>
    public Guid? LeaseToken { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The last response code that mattered (the final one once completed).</summary>
    public string? ResponseCode { get; set; }
    public string? ErrorCode { get; set; }
    public string? OutcomeMessage { get; set; }
    public string? ReferenceNo { get; set; }

    /// <summary>refundTime / cancelTime as the provider reported it.</summary>
    public DateTimeOffset? OutcomeTime { get; set; }

    /// <summary>JSON array of RejectionError, for Rejected operations.</summary>
    public string? RejectionErrors { get; set; }

    /// <summary>The W3C <c>traceparent</c> of the trace the request arrived in, so that work resumed later (a retry,
    /// a reconciliation step, a pick-up after a crash, an operator's action) can link its span to it. Null for rows
    /// accepted before it was recorded, or from a message that carried no trace context.</summary>
    public string? TraceParent { get; set; }

    public List<Attempt> AttemptLog { get; set; } = [];

    /// <summary>A shallow copy, for building the outcome event of a decided transition.</summary>
    public Operation Copy() => (Operation)MemberwiseClone();
}
