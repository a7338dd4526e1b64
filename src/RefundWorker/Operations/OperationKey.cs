using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>
/// What makes two requests ask for the same thing at one provider, whatever their RequestId or ExternalId: a refund
/// is keyed by (provider, merchantId, partnerRefundNo), a cancel by (provider, originalPartnerReferenceNo). The
/// unique indexes on the operations table hold the same keys.
/// </summary>
/// <param name="Number">The refund's partnerRefundNo or the cancel's originalPartnerReferenceNo.</param>
/// <param name="MerchantId">Part of a refund's key only; null for a cancel.</param>
public readonly record struct OperationKey(OperationKind Kind, string Provider, string? MerchantId, string? Number)
{
    public static OperationKey Of(Operation op) => op.Kind == OperationKind.Refund
        ? new(OperationKind.Refund, op.Provider, op.MerchantId, op.PartnerRefundNo)
        : new(OperationKind.Cancel, op.Provider, null, op.OriginalPartnerReferenceNo);

    /// <summary>An ordinal sort order of keys (the accept inserts in it so two batches cannot deadlock).</summary>
    public string SortText => Kind == OperationKind.Refund ? $"r|{Provider}|{MerchantId}|{Number}" : $"c|{Provider}|{Number}";

    /// <summary>The key as people read it, in logs and rejection messages.</summary>
    public override string ToString() => Kind == OperationKind.Refund
        ? $"refund (provider '{Provider}', merchantId '{MerchantId}', partnerRefundNo '{Number}')"
        : $"cancel (provider '{Provider}', originalPartnerReferenceNo '{Number}')";
}
