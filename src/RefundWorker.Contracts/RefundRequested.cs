namespace RefundWorker.Contracts;

/// <summary>
/// Asks the worker to refund (part of) a paid QRIS transaction at a SNAP provider.
/// Published by the order system; MassTransit routes it by full type name
/// (exchange <c>RefundWorker.Contracts:RefundRequested</c>), so name and namespace never change.
/// </summary>
/// <remarks>
/// The refund is identified by (<see cref="Provider"/>, <see cref="MerchantId"/>, <see cref="PartnerRefundNo"/>).
/// Publishing it again with the same content is harmless: the worker calls the provider at most once for the key
/// and re-publishes the recorded outcome with the same <see cref="RequestId"/>. The same key with a different
/// amount, original transaction or merchant is rejected (<see cref="RefundRejected"/>).
/// </remarks>
public sealed record RefundRequested
{
    /// <summary>Echoed in every outcome event.</summary>
    public required Guid RequestId { get; init; }

    /// <summary>A configured provider name (<c>Snap:Providers:&lt;name&gt;</c>), e.g. <c>nicepay</c>, <c>bnc</c>.</summary>
    public required string Provider { get; init; }

    /// <summary>The refund's idempotency key at the provider; every attempt of this refund carries it.</summary>
    public required string PartnerRefundNo { get; init; }

    /// <summary>The X-EXTERNAL-ID of the first attempt: numeric, unique per partner per day.</summary>
    public required string ExternalId { get; init; }

    public required string MerchantId { get; init; }

    public string? ExternalStoreId { get; init; }

    public string? SubMerchantId { get; init; }

    public string? OriginalReferenceNo { get; init; }

    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalExternalId { get; init; }

    /// <summary>The amount to refund; formatted to SNAP's <c>"10000.00"</c> only at the provider edge.</summary>
    public required decimal Amount { get; init; }

    public string Currency { get; init; } = "IDR";

    public string? Reason { get; init; }

    /// <summary>Provider-specific extras, e.g. <c>cancelType</c> (NICEPAY), <c>deviceId</c>, <c>channel</c> (bank).</summary>
    public IReadOnlyDictionary<string, string>? AdditionalInfo { get; init; }
}
