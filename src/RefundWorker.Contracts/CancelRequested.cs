namespace RefundWorker.Contracts;

/// <summary>
/// Asks the worker to cancel a dynamic QRIS transaction (iFortePay QR MPM cancel, service 77).
/// Identified by (<see cref="Provider"/>, <see cref="OriginalPartnerReferenceNo"/>).
/// </summary>
public sealed record CancelRequested
{
    /// <summary>Echoed in every outcome event.</summary>
    public required Guid RequestId { get; init; }

    /// <summary>A configured provider name, e.g. <c>ifortepay</c>.</summary>
    public required string Provider { get; init; }

    /// <summary>The X-EXTERNAL-ID of the first attempt: numeric, unique per partner per day.</summary>
    public required string ExternalId { get; init; }

    public string? MerchantId { get; init; }

    public required string OriginalPartnerReferenceNo { get; init; }

    public required string OriginalReferenceNo { get; init; }

    public required string Reason { get; init; }

    /// <summary><c>type</c> defaults to <c>DYNAMIC</c> when absent.</summary>
    public IReadOnlyDictionary<string, string>? AdditionalInfo { get; init; }
}
