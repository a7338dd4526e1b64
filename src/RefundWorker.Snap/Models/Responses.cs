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

/// <summary>
/// One refund in the list a SNAP status answer may carry about the queried payment. The SNAP standard names that
/// list <c>refundHistory</c> (its direct-debit status answer, service 55) with these items; a QR status answer
/// (service 51) lists nothing in NICEPAY's documents and SDKs, so a provider that lists refunds is read with the
/// same item shape under the list name of its profile (<see cref="ProviderProfile.RefundListField"/>).
/// </summary>
public sealed record RefundHistoryItem
{
    /// <summary><c>refundStatus</c> of a refund that was made (SNAP transaction status "00", success).</summary>
    public const string StatusSuccess = "00";

    /// <summary><c>refundStatus</c> of a refund still in progress (SNAP "03", pending).</summary>
    public const string StatusPending = "03";

    /// <summary><c>refundStatus</c> of a refund that did not happen (SNAP "06", failed).</summary>
    public const string StatusFailed = "06";

    /// <summary>The provider's reference of the refund.</summary>
    public string? RefundNo { get; init; }

    /// <summary>The merchant's reference of the refund: where a provider echoes our <c>partnerRefundNo</c>.</summary>
    public string? PartnerReferenceNo { get; init; }

    /// <summary>Not in the standard's list; read when a provider adds it, and preferred over <see cref="PartnerReferenceNo"/>.</summary>
    public string? PartnerRefundNo { get; init; }

    public SnapAmount? RefundAmount { get; init; }

    /// <summary>SNAP transaction status codes: 00 success, 03 pending, 06 failed (others: see the state machine).</summary>
    public string? RefundStatus { get; init; }

    public string? RefundDate { get; init; }

    public string? Reason { get; init; }
}

/// <summary>Answer to a QR MPM status query (service 51).</summary>
public sealed record QueryResponse
{
    /// <summary><c>latestTransactionStatus</c> of a refunded payment (NICEPAY).</summary>
    public const string StatusRefunded = "04";

    /// <summary>The name SNAP gives the list of refunds in a status answer, and the default list name of every profile.</summary>
    public const string RefundHistoryField = "refundHistory";

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

    /// <summary>
    /// The refunds of the queried payment, when the provider lists them; null when the answer has no list (an
    /// empty list is a list). Read from <c>refundHistory</c>, or from the list name the provider's profile sets
    /// (<see cref="SnapClient.QueryAsync"/> fills it from there).
    /// </summary>
    public IReadOnlyList<RefundHistoryItem>? RefundHistory { get; init; }

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
