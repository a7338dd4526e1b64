namespace RefundWorker.Snap;

/// <summary>How a refund/cancel worker must read an answer (docs/protocol.md#classification).</summary>
public enum OutcomeClass
{
    /// <summary>Final success.</summary>
    Success,

    /// <summary>Accepted, in progress (202): confirm with a status query later.</summary>
    Pending,

    /// <summary>It may or may not have happened: resolve by status query, never by a blind new refund.</summary>
    OutcomeUnknown,

    /// <summary>Not processed; safe to retry later (bounded).</summary>
    Retryable,

    /// <summary>The access token was rejected (401xx01/401xx03): refresh it and retry.</summary>
    RefreshToken,

    /// <summary>Our request is wrong or not allowed; never retry unchanged.</summary>
    Permanent,
}

/// <summary>A failure below HTTP: no SNAP answer was read.</summary>
public enum TransportFailure
{
    /// <summary>The connection could not be opened: nothing was sent, so the call is retryable.</summary>
    ConnectFailed,

    /// <summary>No answer within the provider's timeout, after sending: outcome unknown.</summary>
    Timeout,

    /// <summary>The connection broke after the request was (possibly) sent: outcome unknown.</summary>
    ResetAfterSend,

    /// <summary>An answer arrived but could not be read as SNAP: outcome unknown.</summary>
    InvalidResponse,
}
