namespace RefundWorker.Contracts;

// Outcome events of a cancel. Each carries the RequestId of the CancelRequested it answers, the cancel's key
// (Provider, OriginalPartnerReferenceNo) and the number of provider attempts made. Same delivery rules as refunds.

/// <summary>The provider cancelled the transaction. Final.</summary>
public sealed record CancelSucceeded
{
    public required Guid RequestId { get; init; }
    public required string Provider { get; init; }
    public required string OriginalPartnerReferenceNo { get; init; }
    /// <summary>
    /// Sends made to the provider (refund/cancel calls, a bank's reconciling re-sends included). Status queries are
    /// not counted, nor a call refused for its access token, so this is not the number of provider calls (the
    /// worker's attempt trail lists every call). 0 for a rejected request, which was never sent.
    /// </summary>
    public required int Attempts { get; init; }
    public string? OriginalReferenceNo { get; init; }

    /// <summary>When the provider says it cancelled; null when it did not say.</summary>
    public DateTimeOffset? CancelTime { get; init; }
    public string? ResponseCode { get; init; }
}

/// <summary>The provider refused for good; nothing was cancelled. Final.</summary>
public sealed record CancelFailed
{
    public required Guid RequestId { get; init; }
    public required string Provider { get; init; }
    public required string OriginalPartnerReferenceNo { get; init; }
    /// <summary>
    /// Sends made to the provider (refund/cancel calls, a bank's reconciling re-sends included). Status queries are
    /// not counted, nor a call refused for its access token, so this is not the number of provider calls (the
    /// worker's attempt trail lists every call). 0 for a rejected request, which was never sent.
    /// </summary>
    public required int Attempts { get; init; }
    public string? ResponseCode { get; init; }

    /// <summary>A stable machine code, e.g. <c>transaction_not_found</c>, <c>retries_exhausted</c>.</summary>
    public required string ErrorCode { get; init; }
    public required string Message { get; init; }
}

/// <summary>Never sent: the request was invalid or conflicts with an earlier one. Final.</summary>
public sealed record CancelRejected
{
    public required Guid RequestId { get; init; }
    public required string Provider { get; init; }
    public required string OriginalPartnerReferenceNo { get; init; }
    /// <summary>
    /// Sends made to the provider (refund/cancel calls, a bank's reconciling re-sends included). Status queries are
    /// not counted, nor a call refused for its access token, so this is not the number of provider calls (the
    /// worker's attempt trail lists every call). 0 for a rejected request, which was never sent.
    /// </summary>
    public required int Attempts { get; init; }
    public required IReadOnlyList<RejectionError> Errors { get; init; }
}

/// <summary>The outcome is still unknown after reconciliation was exhausted: a person must look.</summary>
public sealed record CancelNeedsReview
{
    public required Guid RequestId { get; init; }
    public required string Provider { get; init; }
    public required string OriginalPartnerReferenceNo { get; init; }
    /// <summary>
    /// Sends made to the provider (refund/cancel calls, a bank's reconciling re-sends included). Status queries are
    /// not counted, nor a call refused for its access token, so this is not the number of provider calls (the
    /// worker's attempt trail lists every call). 0 for a rejected request, which was never sent.
    /// </summary>
    public required int Attempts { get; init; }
    public string? ResponseCode { get; init; }
    public required string Message { get; init; }
}
