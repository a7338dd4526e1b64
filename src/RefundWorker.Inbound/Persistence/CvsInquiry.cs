namespace RefundWorker.Inbound.Persistence;

/// <summary>
/// An inquiry we answered, keyed by NICEPAY's inquiryRequestId. A repeated inquiryRequestId is answered with
/// <see cref="ResponseBody"/>, byte for byte, and publishes nothing new.
/// </summary>
public sealed class CvsInquiry
{
    public required string InquiryRequestId { get; init; }

    public required string PartnerName { get; init; }

    /// <summary>SHA-256 hex of partner and the request fields; a different request reusing the id is refused.</summary>
    public required string RequestFingerprint { get; init; }

    public required string PayNo { get; init; }

    public required string ExternalId { get; init; }

    public required int HttpStatus { get; init; }

    public required string ResponseCode { get; init; }

    /// <summary>The exact JSON sent back (UTF-8 text).</summary>
    public required string ResponseBody { get; init; }

    public required DateTimeOffset AnsweredAt { get; init; }
}
