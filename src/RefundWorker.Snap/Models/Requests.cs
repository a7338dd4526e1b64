using System.Text.Json.Serialization;

namespace RefundWorker.Snap;

// Request bodies of the four calls (docs/protocol.md). Property order is the wire order (System.Text.Json writes
// declaration order), which follows the providers' samples. Mandatory fields are `required` so code that builds
// a request is told at compile time; deserialization (sandbox, tests) stays lenient so that a missing field is
// reported by SnapValidator with its name instead of a JsonException.

/// <summary>NICEPAY QRIS refund, <c>POST {base}/api/v1.0/qr/qr-mpm-refund</c>; docs/protocol.md#nicepay-refund.</summary>
public sealed record NicepayRefundRequest
{
    /// <summary>NICEPAY's tXid of the payment (40).</summary>
    public required string OriginalReferenceNo { get; init; }

    /// <summary>Our reference of the payment (40).</summary>
    public required string OriginalPartnerReferenceNo { get; init; }

    /// <summary>Our refund id, unique: the idempotency key at NICEPAY (40).</summary>
    public required string PartnerRefundNo { get; init; }

    /// <summary>NICEPAY iMid.</summary>
    public required string MerchantId { get; init; }

    public string? ExternalStoreId { get; init; }

    public required SnapAmount RefundAmount { get; init; }

    public string? Reason { get; init; }

    /// <summary><c>cancelType</c>: <c>"1"</c> full, <c>"2"</c> partial.</summary>
    public Dictionary<string, string>? AdditionalInfo { get; init; }

    /// <summary>The <c>additionalInfo</c> NICEPAY expects for a full (<c>true</c>) or partial refund.</summary>
    public static Dictionary<string, string> CancelType(bool full)
        => new(StringComparer.Ordinal) { ["cancelType"] = full ? "1" : "2" };
}

/// <summary>The bank's QRIS refund, <c>POST {base}/v1.0/qr/qr-mpm-refund</c> (docs/protocol.md#bank-refund).</summary>
public sealed record BankRefundRequest
{
    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalReferenceNo { get; init; }

    public string? OriginalExternalId { get; init; }

    public required string PartnerRefundNo { get; init; }

    public required SnapAmount RefundAmount { get; init; }

    public string? Reason { get; init; }

    public string? MerchantId { get; init; }

    public string? SubMerchantId { get; init; }

    public string? ExternalStoreId { get; init; }

    /// <summary><c>deviceId</c>, <c>channel</c>.</summary>
    public Dictionary<string, string>? AdditionalInfo { get; init; }
}

/// <summary><c>additionalInfo</c> of an iFortePay cancel: <c>{"type":"DYNAMIC"}</c>.</summary>
public sealed record QrCancelAdditionalInfo(string Type)
{
    public const string DynamicType = "DYNAMIC";

    /// <summary>The only type iFortePay cancels (NOBU dynamic QRIS).</summary>
    public static QrCancelAdditionalInfo Dynamic { get; } = new(DynamicType);
}

/// <summary>iFortePay QRIS cancel, <c>POST {base}/v1.0/qr/qr-mpm-cancel</c> (docs/protocol.md#ifortepay-cancel).</summary>
public sealed record QrCancelRequest
{
    public required string OriginalPartnerReferenceNo { get; init; }

    public required string OriginalReferenceNo { get; init; }

    public required string Reason { get; init; }

    public required QrCancelAdditionalInfo AdditionalInfo { get; init; }
}

/// <summary>QR MPM status query (service 51), used to resolve an unknown outcome.</summary>
public sealed record QrQueryRequest
{
    /// <summary>The service code of the transaction asked about: 47, the QR MPM payment.</summary>
    public const string QrPaymentServiceCode = "47";

    public string? OriginalReferenceNo { get; init; }

    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalExternalId { get; init; }

    public string? MerchantId { get; init; }

    public string? ExternalStoreId { get; init; }

    public string ServiceCode { get; init; } = QrPaymentServiceCode;

    public Dictionary<string, string>? AdditionalInfo { get; init; }
}

/// <summary>B2B access token request body (service 73).</summary>
public sealed record TokenRequest
{
    public const string ClientCredentials = "client_credentials";

    public string GrantType { get; init; } = ClientCredentials;

    // Always sent as an empty object: NICEPAY's SDKs send {} and some providers reject a missing member.
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public Dictionary<string, string> AdditionalInfo { get; init; } = [];
}
