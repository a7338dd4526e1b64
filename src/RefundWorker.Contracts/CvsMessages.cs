namespace RefundWorker.Contracts;

/// <summary>
/// The order system issued a convenience-store payment code (NICEPAY "NICO", docs/protocol.md#cvs-inquiry). The worker stores it
/// (idempotent upsert on <see cref="PayNo"/>) so it can answer NICEPAY's inquiry even while the order system is down.
/// The fields are the data the inquiry returns in <c>payNoData</c>.
/// </summary>
public sealed record CvsPaymentCodeIssued
{
    /// <summary>4 digits, the prefix of <see cref="PayNo"/>.</summary>
    public required string PartnerServiceId { get; init; }

    /// <summary>8 digits, follows <see cref="PartnerServiceId"/> in <see cref="PayNo"/>.</summary>
    public required string CustomerNo { get; init; }

    /// <summary>12 digits: PartnerServiceId + CustomerNo.</summary>
    public required string PayNo { get; init; }
    public required string PayNoName { get; init; }
    public required string GoodsName { get; init; }
    public string? PayNoPhone { get; init; }
    public string? PayNoEmail { get; init; }
    public required decimal Amount { get; init; }
    public string Currency { get; init; } = "IDR";
    public required string PartnerReferenceNo { get; init; }

    /// <summary>Store chain code, e.g. <c>ALMA</c>; null when any chain may collect.</summary>
    public string? MitraCd { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>A payment code was paid or withdrawn: inquiries for it are refused from now on.</summary>
public sealed record CvsPaymentCodeClosed
{
    public required string PayNo { get; init; }

    /// <summary>e.g. <c>paid</c>, <c>withdrawn</c>.</summary>
    public required string Reason { get; init; }
}

/// <summary>The worker answered a new NICEPAY CVS inquiry (one event per inquiryRequestId).</summary>
public sealed record CvsInquiryAnswered
{
    public required string InquiryRequestId { get; init; }
    public required string PartnerServiceId { get; init; }
    public required string CustomerNo { get; init; }
    public required string PayNo { get; init; }
    public string? MitraCd { get; init; }

    /// <summary>The SNAP response code returned to NICEPAY (success or the refusal).</summary>
    public required string ResponseCode { get; init; }
    public string? PartnerReferenceNo { get; init; }
    public decimal? Amount { get; init; }
    public string? Currency { get; init; }
    public required DateTimeOffset AnsweredAt { get; init; }
}
