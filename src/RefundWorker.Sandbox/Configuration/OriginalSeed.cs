using System.Text.Json.Serialization;

namespace RefundWorker.Sandbox;

/// <summary>
/// An original (paid) QRIS transaction the sandbox knows, to refund, cancel or query. Seeded from configuration,
/// from <see cref="SandboxSettings.OriginalsFile"/>, or at run time through <c>POST /_sandbox/originals</c>.
/// </summary>
public sealed class OriginalSeed
{
    /// <summary>Provider name (a key of <see cref="SandboxSettings.Providers"/>).</summary>
    public string? Provider { get; set; }

    /// <summary>The provider's id of the transaction (NICEPAY tXid). Generated when empty.</summary>
    public string? OriginalReferenceNo { get; set; }

    /// <summary>The merchant's id of the transaction (order id). Generated when empty.</summary>
    public string? OriginalPartnerReferenceNo { get; set; }

    /// <summary>X-EXTERNAL-ID of the payment, for the bank's <c>originalExternalId</c>. Optional.</summary>
    public string? OriginalExternalId { get; set; }

    /// <summary>When set, a request's <c>merchantId</c> must equal it or the transaction is not found.</summary>
    public string? MerchantId { get; set; }

    /// <summary>Paid amount; positive. Read from a JSON number or string.</summary>
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal Amount { get; set; }

    /// <summary>Currency; QRIS is IDR.</summary>
    public string Currency { get; set; } = "IDR";

    /// <summary><c>DYNAMIC</c> (cancellable) or <c>STATIC</c>.</summary>
    public string QrType { get; set; } = "DYNAMIC";

    /// <summary>State of the payment before any refund or cancel.</summary>
    public OriginalStatus Status { get; set; } = OriginalStatus.Paid;

    /// <summary>When it was paid; defaults to the moment it is seeded.</summary>
    public DateTimeOffset? PaidTime { get; set; }

    /// <summary>Last moment a cancel is accepted; null means no limit.</summary>
    public DateTimeOffset? CancellableUntil { get; set; }
}

/// <summary>State of a payment before the sandbox refunds or cancels anything.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OriginalStatus>))]
public enum OriginalStatus
{
    /// <summary>Paid: latestTransactionStatus 00; refundable and (if DYNAMIC) cancellable.</summary>
    Paid,

    /// <summary>Not paid yet: 03; cancellable, not refundable.</summary>
    Pending,

    /// <summary>Failed: 06; neither.</summary>
    Failed,
}
