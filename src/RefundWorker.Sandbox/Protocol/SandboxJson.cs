using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RefundWorker.Sandbox;

/// <summary>
/// Serializer settings of every sandbox body: camelCase, compact, nulls left out, and the relaxed encoder so a
/// reason such as "A&amp;B" comes back as written (the same choice as RefundWorker.Snap's SnapJson, made here
/// independently). Source-generated: the hot path does no reflection.
/// </summary>
internal static class SandboxJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static SandboxJsonContext Context { get; } = new(new JsonSerializerOptions(Options));
}

[JsonSerializable(typeof(SnapErrorBody))]
[JsonSerializable(typeof(TokenResponseBody))]
[JsonSerializable(typeof(RefundResponseBody))]
[JsonSerializable(typeof(CancelResponseBody))]
[JsonSerializable(typeof(QueryResponseBody))]
[JsonSerializable(typeof(List<RefundHistoryItemBody>))]
[JsonSerializable(typeof(List<OriginalSeed>))]
[JsonSerializable(typeof(OriginalSeed))]
[JsonSerializable(typeof(LedgerEntry))]
[JsonSerializable(typeof(List<LedgerEntry>))]
[JsonSerializable(typeof(LedgerView))]
[JsonSerializable(typeof(FaultSettings))]
[JsonSerializable(typeof(BehaviourSettings))]
[JsonSerializable(typeof(Dictionary<string, BehaviourSettings>))]
[JsonSerializable(typeof(FaultsDocument))]
[JsonSerializable(typeof(FaultsView))]
[JsonSerializable(typeof(ScriptRequest))]
[JsonSerializable(typeof(AdminError))]
[JsonSerializable(typeof(AdminOk))]
[JsonSerializable(typeof(StatsView))]
[JsonSerializable(typeof(List<SandboxProviderInfo>))]
internal sealed partial class SandboxJsonContext : JsonSerializerContext;

internal sealed class SnapErrorBody
{
    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }
}

internal sealed class TokenResponseBody
{
    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }

    public required string AccessToken { get; init; }

    public required string TokenType { get; init; }

    public required string ExpiresIn { get; init; }
}

internal sealed class AmountBody
{
    public required string Value { get; init; }

    public required string Currency { get; init; }
}

// Field order follows the providers' samples (docs/protocol.md#nicepay-refund and #bank-refund).
internal sealed class RefundResponseBody
{
    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }

    public string? OriginalReferenceNo { get; init; }

    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalExternalId { get; init; }

    public string? ReferenceNo { get; init; }

    public string? PartnerRefundNo { get; init; }

    public AmountBody? RefundAmount { get; init; }

    public string? RefundTime { get; init; }

    public Dictionary<string, string>? AdditionalInfo { get; init; }
}

// iFortePay's cancel answer (docs/protocol.md#ifortepay-cancel).
internal sealed class CancelResponseBody
{
    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }

    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalReferenceNo { get; init; }

    public string? CancelTime { get; init; }

    public Dictionary<string, string>? AdditionalInfo { get; init; }
}

internal sealed class QueryResponseBody
{
    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }

    public string? OriginalReferenceNo { get; init; }

    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalExternalId { get; init; }

    public string? ServiceCode { get; init; }

    public string? LatestTransactionStatus { get; init; }

    public string? TransactionStatusDesc { get; init; }

    public string? PaidTime { get; init; }

    public AmountBody? Amount { get; init; }

    public Dictionary<string, string>? AdditionalInfo { get; init; }

    /// <summary>The list of refunds, under the name the provider's behaviour sets (written after the fields above).
    /// Settable rather than init-only: System.Text.Json binds init-only members as constructor parameters, which
    /// extension data cannot be.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Lists { get; set; }
}

// One item of SNAP's refundHistory (the standard's direct-debit status answer): the merchant's partnerRefundNo
// travels as partnerReferenceNo; refundStatus uses the transaction status codes ("00" success).
internal sealed class RefundHistoryItemBody
{
    public required string RefundNo { get; init; }

    public required string PartnerReferenceNo { get; init; }

    public required AmountBody RefundAmount { get; init; }

    public required string RefundStatus { get; init; }

    public required string RefundDate { get; init; }

    public string? Reason { get; init; }
}

internal sealed record LedgerView(IReadOnlyList<LedgerEntry> Originals, decimal TotalRefunded, int RefundCount, int CancelCount);

/// <summary>Body of <c>GET/PUT /_sandbox/faults</c>.</summary>
public sealed class FaultsDocument
{
    /// <summary>New seed; unchanged when null.</summary>
    public int? Seed { get; set; }

    /// <summary>Faults per provider. On PUT, providers not listed are set to no faults.</summary>
    public Dictionary<string, FaultSettings>? Providers { get; set; }
}

internal sealed record FaultsView(int Seed, Dictionary<string, FaultSettings> Providers, Dictionary<string, Dictionary<string, List<FaultStep>>> Scripts);

/// <summary>Body of <c>POST /_sandbox/faults/{provider}/script</c>.</summary>
public sealed class ScriptRequest
{
    /// <summary>The operation scripted.</summary>
    public SandboxOperation Operation { get; set; }

    /// <summary>Steps appended, consumed one per request in order.</summary>
    public List<FaultStep> Steps { get; set; } = [];
}

internal sealed record AdminError(string Error);

internal sealed record AdminOk(string Status);

internal sealed record StatsView(IReadOnlyList<StatsLine> Responses);
