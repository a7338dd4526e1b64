namespace RefundWorker.Inbound.Persistence;

/// <summary>
/// An X-EXTERNAL-ID seen from a partner on a Jakarta calendar day. SNAP: unique per partner per day; a reuse for a
/// different inquiry is answered 409xx00.
/// </summary>
public sealed class InboundExternalId
{
    public required string PartnerName { get; init; }

    /// <summary>The Jakarta (UTC+7) date the id was received: SNAP's "same day" is the partner's business day.</summary>
    public required DateOnly BusinessDate { get; init; }

    public required string ExternalId { get; init; }

    public required string InquiryRequestId { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }
}
