using System.Text.Json.Serialization;

namespace RefundWorker.Snap;

/// <summary>
/// Source-generated metadata for the SNAP models, so the hot path does not pay for reflection. Types not
/// listed here still work through the reflection resolver chained behind it in <see cref="SnapJson.Options"/>.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NicepayRefundRequest))]
[JsonSerializable(typeof(BankRefundRequest))]
[JsonSerializable(typeof(QrCancelRequest))]
[JsonSerializable(typeof(QrQueryRequest))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(RefundResponse))]
[JsonSerializable(typeof(CancelResponse))]
[JsonSerializable(typeof(QueryResponse))]
[JsonSerializable(typeof(List<RefundHistoryItem>))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class SnapJsonContext : JsonSerializerContext;
