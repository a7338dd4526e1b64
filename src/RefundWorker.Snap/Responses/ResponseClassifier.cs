namespace RefundWorker.Snap;

/// <summary>
/// Maps SNAP answers onto what a refund/cancel worker must do, exactly as the table in docs/protocol.md#classification.
/// Codes the table does not name are read conservatively: an unnamed 4xx is our fault (permanent, someone must
/// look), anything else unnamed may have been processed (outcome unknown, resolved by a status query).
/// </summary>
public static class ResponseClassifier
{
    /// <summary>Classifies a parsed <c>responseCode</c>.</summary>
    public static OutcomeClass Classify(ResponseCode code) => code.HttpStatus switch
    {
        200 => code.CaseCode == 0 ? OutcomeClass.Success : OutcomeClass.OutcomeUnknown,
        202 => OutcomeClass.Pending,
        400 => OutcomeClass.Permanent,
        // 401xx00: bad signature or key: configuration is wrong, retrying cannot help.
        401 => code.CaseCode is 1 or 3 ? OutcomeClass.RefreshToken : OutcomeClass.Permanent,
        // 403xx06: not allowed at this time (cut-off) is the one 403 that clears by itself.
        403 => code.CaseCode == 6 ? OutcomeClass.Retryable : OutcomeClass.Permanent,
        // 404xx18 "inconsistent request": for refunds/voids the standard says "consider as success";
        // it is recorded as unknown so that a status query confirms it before it is booked.
        404 => code.CaseCode == 18 ? OutcomeClass.OutcomeUnknown : OutcomeClass.Permanent,
        405 => code.CaseCode == 1 ? OutcomeClass.Retryable : OutcomeClass.Permanent,
        // 409xx00 external id reused / 409xx01 duplicate partnerRefundNo: an earlier attempt may have landed.
        409 => OutcomeClass.OutcomeUnknown,
        429 => OutcomeClass.Retryable,
        >= 500 and <= 599 => OutcomeClass.OutcomeUnknown,
        >= 400 and <= 499 => OutcomeClass.Permanent,
        _ => OutcomeClass.OutcomeUnknown,
    };

    /// <summary>Classifies a failure below HTTP.</summary>
    public static OutcomeClass ClassifyTransport(TransportFailure failure) => failure switch
    {
        TransportFailure.ConnectFailed => OutcomeClass.Retryable,
        TransportFailure.Timeout => OutcomeClass.OutcomeUnknown,
        TransportFailure.ResetAfterSend => OutcomeClass.OutcomeUnknown,
        TransportFailure.InvalidResponse => OutcomeClass.OutcomeUnknown,
        _ => OutcomeClass.OutcomeUnknown,
    };

    /// <summary>
    /// Classifies an HTTP answer: by its <c>responseCode</c> when that parses, otherwise by the HTTP status alone
    /// (a proxy's 502 page, a bare 401).
    /// </summary>
    public static OutcomeClass ClassifyHttp(int httpStatus, string? responseCode)
    {
        if (ResponseCode.TryParse(responseCode, out var code))
        {
            return Classify(code);
        }

        return httpStatus switch
        {
            // A 200 without a readable code is not proof of success.
            200 => OutcomeClass.OutcomeUnknown,
            202 => OutcomeClass.Pending,
            401 => OutcomeClass.RefreshToken,
            405 => OutcomeClass.Retryable,
            408 => OutcomeClass.OutcomeUnknown,
            409 => OutcomeClass.OutcomeUnknown,
            429 => OutcomeClass.Retryable,
            >= 500 and <= 599 => OutcomeClass.OutcomeUnknown,
            >= 400 and <= 499 => OutcomeClass.Permanent,
            _ => OutcomeClass.OutcomeUnknown,
        };
    }
}
