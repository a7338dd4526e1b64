namespace RefundWorker.Inbound.Persistence;

/// <summary>A payment code as last issued by the order system (<c>CvsPaymentCodeIssued</c>).</summary>
public sealed class CvsPaymentCode
{
    public required string PayNo { get; set; }

    public required string PartnerServiceId { get; set; }

    public required string CustomerNo { get; set; }

    public required string PayNoName { get; set; }

    public required string GoodsName { get; set; }

    public string? PayNoPhone { get; set; }

    public string? PayNoEmail { get; set; }

    public required decimal Amount { get; set; }

    public required string Currency { get; set; }

    public required string PartnerReferenceNo { get; set; }

    /// <summary>Store chain allowed to collect; null when any chain may.</summary>
    public string? MitraCd { get; set; }

    public required DateTimeOffset ExpiresAt { get; set; }

    /// <summary>
    /// When the order system sent the message this row holds. An older redelivery never overwrites a newer issue.
    /// </summary>
    public required DateTimeOffset IssuedMessageSentAt { get; set; }

    public required DateTimeOffset UpdatedAt { get; set; }
}
