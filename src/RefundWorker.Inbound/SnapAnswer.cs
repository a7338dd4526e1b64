using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>
/// What an inbound endpoint sends back: the HTTP status, the SNAP responseCode (whose first three digits equal the
/// status) and the exact JSON bytes.
/// </summary>
public sealed record SnapAnswer(int HttpStatus, ResponseCode Code, byte[] Body)
{
    public bool IsSuccess => HttpStatus is >= 200 and < 300;

    /// <summary>A SNAP error body: <c>{"responseCode":"…","responseMessage":"…"}</c>.</summary>
    public static SnapAnswer Error(int httpStatus, int serviceCode, int caseCode, string message)
    {
        var code = ResponseCode.Of(httpStatus, serviceCode, caseCode);
        return new SnapAnswer(httpStatus, code, SnapJson.Serialize(new SnapErrorBody(code.ToString(), message)));
    }
}

/// <summary>The body of every refusal (SNAP: responseCode and responseMessage only).</summary>
public sealed record SnapErrorBody(string ResponseCode, string ResponseMessage);

/// <summary>
/// The ASPI generic cases used by the inbound endpoints, with SNAP's standard messages followed by the detail a
/// partner's support desk needs. Messages never contain tokens, signatures or secrets.
/// </summary>
/// <remarks>
/// Service codes: 73 for the B2B token (SNAP), 24 for the CVS inquiry: ASPI's service code for the
/// virtual-account/payment-code inquiry, which NICEPAY's CVS ("NICO") inquiry mirrors. NICEPAY's only sample is a
/// success answered <c>2000000</c> (service 00); we keep that for success as NICEPAY shows it, and use 24 in
/// every refusal so the partner can tell which API refused.
/// </remarks>
public static class InboundErrors
{
    /// <summary>400xx00: the body is not a JSON object.</summary>
    public static SnapAnswer BadRequest(int service, string detail) => SnapAnswer.Error(400, service, 0, $"Bad Request. {detail}");

    /// <summary>400xx01: a field or header is present but malformed or too long.</summary>
    public static SnapAnswer InvalidFieldFormat(int service, string field, string? detail = null)
        => SnapAnswer.Error(400, service, 1, detail is null ? $"Invalid Field Format {field}" : $"Invalid Field Format {field}: {detail}");

    /// <summary>400xx02: a mandatory field or header is missing or empty.</summary>
    public static SnapAnswer InvalidMandatoryField(int service, string field)
        => SnapAnswer.Error(400, service, 2, $"Invalid Mandatory Field {field}");

    /// <summary>401xx00: authentication failed (signature, client, partner, stale timestamp).</summary>
    public static SnapAnswer Unauthorized(int service, string reason) => SnapAnswer.Error(401, service, 0, $"Unauthorized. {reason}");

    /// <summary>401xx01: the bearer token is missing, unknown or expired.</summary>
    public static SnapAnswer InvalidToken(int service) => SnapAnswer.Error(401, service, 1, "Invalid Token (B2B)");

    /// <summary>404xx12: no such payment code, or it does not belong to this partnerServiceId/customerNo/store.</summary>
    public static SnapAnswer InvalidBill(int service, string reason) => SnapAnswer.Error(404, service, 12, $"Invalid Bill/Virtual Account [{reason}]");

    /// <summary>404xx19: the payment code expired, was paid or was withdrawn.</summary>
    public static SnapAnswer BillExpired(int service, string reason) => SnapAnswer.Error(404, service, 19, $"Invalid Bill/Virtual Account [{reason}]");

    /// <summary>409xx00: X-EXTERNAL-ID already used today by this partner for another request.</summary>
    public static SnapAnswer ExternalIdConflict(int service)
        => SnapAnswer.Error(409, service, 0, "Conflict. X-EXTERNAL-ID already used today for another request");

    /// <summary>409xx01: inquiryRequestId already answered for a different request.</summary>
    public static SnapAnswer DuplicateInquiryRequestId(int service)
        => SnapAnswer.Error(409, service, 1, "Conflict. inquiryRequestId already used for a different payment code");

    /// <summary>
    /// 429xx00: the caller is over its request budget (Inbound:RateLimits). SNAP's code for too many requests,
    /// which a SNAP client treats as retryable after backing off.
    /// </summary>
    public static SnapAnswer TooManyRequests(int service) => SnapAnswer.Error(429, service, 0, "Too Many Requests");

    /// <summary>500xx00: anything unexpected; details go to our log, not to the partner.</summary>
    public static SnapAnswer GeneralError(int service) => SnapAnswer.Error(500, service, 0, "General Error");
}
