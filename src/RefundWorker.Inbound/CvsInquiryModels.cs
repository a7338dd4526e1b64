using System.Globalization;

namespace RefundWorker.Inbound;

/// <summary>The inquiry body NICEPAY sends (docs/protocol.md#cvs-inquiry-request), after validation.</summary>
public sealed record CvsInquiryRequest(
    string PartnerServiceId,
    string CustomerNo,
    string PayNo,
    string InquiryRequestId,
    string MitraCd);

/// <summary>
/// The success answer, property for property in NICEPAY's response table and sample (docs/protocol.md#cvs-answer). Property order is the
/// sample's order, and System.Text.Json writes declaration order.
/// </summary>
public sealed record CvsInquiryResponse(string ResponseCode, string ResponseMessage, PayNoData PayNoData);

/// <summary><c>payNoData</c> of NICEPAY's response table (its sizes: see <see cref="CvsInquiryAnswerBuilder"/>).</summary>
public sealed record PayNoData(
    string PartnerServiceId,
    string CustomerNo,
    string PayNo,
    string PayNoName,
    string GoodsName,
    string PayNoPhone,
    string PayNoEmail,
    string InquiryRequestId,
    InquiryAmount TotalAmount,
    string PartnerReferenceNo,
    string MitraCd,
    string PayNoExpiredDateTime);

/// <summary>
/// <c>totalAmount</c>: NICEPAY's table says "number 12" but its sample sends the string <c>"10000.00"</c>, as every
/// SNAP amount does (docs/protocol.md#amounts), so it is a string with exactly two decimals.
/// </summary>
public sealed record InquiryAmount(string Value, string Currency)
{
    public static InquiryAmount From(decimal amount, string currency)
        => new(amount.ToString("0.00", CultureInfo.InvariantCulture), currency);
}
