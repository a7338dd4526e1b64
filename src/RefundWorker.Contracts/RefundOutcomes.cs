namespace RefundWorker.Contracts;

// Outcome events of a refund. Each carries the RequestId of the RefundRequested it answers, the refund's key
// (Provider, MerchantId, PartnerRefundNo) and the number of provider attempts made. Exactly one kind of outcome
// is ever recorded per refund key; the event may be delivered more than once (at-least-once) with the same
// MessageId, and re-published with the same RequestId when a duplicate request arrives.

/// <summary>The provider refunded. Final.</summary>
public sealed record RefundSucceeded
{
    public required Guid RequestId { get; init; }
    public required string Provider { get; init; }
    public required string MerchantId { get; init; }
    public required string PartnerRefundNo { get; init; }
    /// <summary>
    /// Sends made to the provider (refund/cancel calls, a bank's reconciling re-sends included). Status queries are
    /// not counted, nor a call refused for its access token, so this is not the number of provider calls (the
    /// worker's attempt trail lists every call). 0 for a rejected request, which was never sent.
    /// </summary>
    public required int Attempts { get; init; }

    /// <summary>The provider's reference of the refund, when it gave one.</summary>
    public string? ReferenceNo { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }

    /// <summary>When the provider says it refunded; null when it did not say (e.g. confirmed by a duplicate answer).</summary>
    public DateTimeOffset? RefundTime { get; init; }

    /// <summary>The SNAP response code that settled it (e.g. <c>2007800</c>, or <c>2005100</c> for a query).</summary>
    public string? ResponseCode { get; init; }
}

/// <summary>The provider refused for good; nothing was refunded. Final.</summary>
public sealed record RefundFailed
{
    public required Guid RequestId { get; init; }
    public required string Provider { get; init; }
    public required string MerchantId { get; init; }
    public required string PartnerRefundNo { get; init; }
    /// <summary>
    /// Sends made to the provider (refund/cancel calls, a bank's reconciling re-sends included). Status queries are
    /// not counted, nor a call refused for its access token, so this is not the number of provider calls (the
    /// worker's attempt trail lists every call). 0 for a rejected request, which was never sent.
    /// </summary>
    public required int Attempts { get; init; }

    /// <summary>The provider's last response code, when there was one.</summary>
    public string? ResponseCode { get; init; }

    /// <summary>A stable machine code, e.g. <c>insufficient_funds</c>, <c>transaction_not_found</c>, <c>retries_exhausted</c>.</summary>
    public required string ErrorCode { get; init; }
    public required string Message { get; init; }
}

/// <summary>Never sent: the request was invalid or conflicts with an earlier one. Final.</summary>
public sealed record RefundRejected
{
    public required Guid RequestId { get; init; }
    public required string Provider { get; init; }
    public required string MerchantId { get; init; }
    public required string PartnerRefundNo { get; init; }
    /// <summary>
    /// Sends made to the provider (refund/cancel calls, a bank's reconciling re-sends included). Status queries are
    /// not counted, nor a call refused for its access token, so this is not the number of provider calls (the
    /// worker's attempt trail lists every call). 0 for a rejected request, which was never sent.
    /// </summary>
    public required int Attempts { get; init; }
    public required IReadOnlyList<RejectionError> Errors { get; init; }
}

/// <summary>
/// The outcome is still unknown after reconciliation was exhausted: a person must look at the provider's records.
/// The worker will not send this refund again.
/// </summary>
public sealed record RefundNeedsReview
{
    public required Guid RequestId { get; init; }
    public required string Provider { get; init; }
    public required string MerchantId { get; init; }
    public required string PartnerRefundNo { get; init; }
    /// <summary>
    /// Sends made to the provider (refund/cancel calls, a bank's reconciling re-sends included). Status queries are
    /// not counted, nor a call refused for its access token, so this is not the number of provider calls (the
    /// worker's attempt trail lists every call). 0 for a rejected request, which was never sent.
    /// </summary>
    public required int Attempts { get; init; }

    /// <summary>The last response code seen, when there was one.</summary>
    public string? ResponseCode { get; init; }
    public required string Message { get; init; }
}
