namespace RefundWorker.Snap;

/// <summary>
/// Everything a SNAP call produced. <see cref="Outcome"/> is what the caller acts on; the rest is evidence for
/// the audit trail and for operators.
/// </summary>
/// <param name="Outcome">How to read the result (docs/protocol.md#classification).</param>
/// <param name="HttpStatus">HTTP status, when an answer arrived.</param>
/// <param name="Code">The parsed <c>responseCode</c>, when there was one.</param>
/// <param name="Body">The parsed answer, when it was readable.</param>
/// <param name="Transport">The failure below SNAP, when no usable answer was read.</param>
/// <param name="ExternalId">The X-EXTERNAL-ID of the last attempt (a token retry uses a new one).</param>
/// <param name="Latency">Time from the start of the call (token wait included) to the answer, retries included.</param>
/// <param name="Error">A one-line explanation for logs and the audit trail; never contains secrets.</param>
public sealed record SnapCallResult<T>(
    OutcomeClass Outcome,
    int? HttpStatus,
    ResponseCode? Code,
    T? Body,
    TransportFailure? Transport,
    string ExternalId,
    TimeSpan Latency,
    string? Error)
    where T : class
{
    public bool IsSuccess => Outcome == OutcomeClass.Success;

    /// <summary>The call that was answered 401xx01 (token refused, nothing processed) before this one was retried
    /// with a fresh token and a new X-EXTERNAL-ID; null when there was no such retry.</summary>
    public SnapRefusedCall? Refreshed { get; init; }
}

/// <summary>A call whose token the provider refused (401xx01/03): sent, not processed.</summary>
public sealed record SnapRefusedCall(string ExternalId, int? HttpStatus, ResponseCode? Code, TimeSpan Latency);

/// <summary>
/// Called with each X-EXTERNAL-ID right before the request carrying it is sent (including the retry after a token
/// refresh). A caller that must record every id it sends records it here; an exception stops the request unsent.
/// </summary>
public delegate ValueTask SnapSendingHook(string externalId, CancellationToken cancellationToken);
