using System.Text.Json;
using System.Text.Json.Serialization;

namespace RefundWorker.Snap;

// Response bodies. Everything but responseCode/responseMessage is optional: providers omit fields freely, and
// a body that does not say what happened is classified by its code, not by its shape.

/// <summary>Answer to a QRIS refund (NICEPAY or bank).</summary>
public sealed record RefundResponse
{
    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }

    public string? OriginalReferenceNo { get; init; }

    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalExternalId { get; init; }

    public string? ReferenceNo { get; init; }

    public string? PartnerRefundNo { get; init; }

    public SnapAmount? RefundAmount { get; init; }

    public string? RefundTime { get; init; }

    /// <summary>Provider specific, e.g. NICEPAY's <c>cancelTrxSn</c>, the bank's <c>traceId</c>.</summary>
    public JsonElement? AdditionalInfo { get; init; }
}

/// <summary>Answer to an iFortePay cancel.</summary>
public sealed record CancelResponse
{
    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }

    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalReferenceNo { get; init; }

    /// <summary>Filled when the cancel succeeded (ISO-8601, offset optional in iFortePay's sample).</summary>
    public string? CancelTime { get; init; }

    public JsonElement? AdditionalInfo { get; init; }
}

/// <summary>One refund as reported by a status query.</summary>
public sealed record QueryRefund
{
    public string? PartnerRefundNo { get; init; }

    public string? ReferenceNo { get; init; }

    public SnapAmount? RefundAmount { get; init; }

    public string? RefundTime { get; init; }
}

/// <summary>Answer to a QR MPM status query (service 51).</summary>
public sealed record QueryResponse
{
    /// <summary><c>latestTransactionStatus</c> of a refunded payment (NICEPAY).</summary>
    public const string StatusRefunded = "04";

    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }

    public string? OriginalReferenceNo { get; init; }

    public string? OriginalPartnerReferenceNo { get; init; }

    public string? OriginalExternalId { get; init; }

    public string? ServiceCode { get; init; }

    /// <summary>00 success, 01 initiated, 02 paying, 03 pending, 04 refunded, 05 canceled, 06 failed, 07 not found.</summary>
    public string? LatestTransactionStatus { get; init; }

    public string? TransactionStatusDesc { get; init; }

    public string? PaidTime { get; init; }

    public SnapAmount? Amount { get; init; }

    public IReadOnlyList<QueryRefund>? Refunds { get; init; }

    public JsonElement? AdditionalInfo { get; init; }
}

/// <summary>Answer to the B2B token request (service 73).</summary>
public sealed record TokenResponse
{
    public required string ResponseCode { get; init; }

    public required string ResponseMessage { get; init; }

    public string? AccessToken { get; init; }

    public string? TokenType { get; init; }

    /// <summary>Seconds, as a string (<c>"900"</c>); a provider sending a JSON number is read too.</summary>
    [JsonConverter(typeof(StringOrNumberConverter))]
    public string? ExpiresIn { get; init; }

    public JsonElement? AdditionalInfo { get; init; }
}

/// <summary>Reads a JSON string or number as a string; writes a string.</summary>
public sealed class StringOrNumberConverter : JsonConverter<string?>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
            _ => throw new JsonException($"Expected a string or a number, got {reader.TokenType}."),
        };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
        => writer.WriteStringValue(value);
}
