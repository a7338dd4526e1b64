using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RefundWorker.Operations;
using RefundWorker.Persistence;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// A request's fingerprint is stored with its operation and compared with every later request for the same key, so
/// the bytes it hashes must never change between versions: a change would turn every repeat of an old request into
/// a "conflict" rejection.
/// </summary>
public sealed class FingerprintTests
{
    [Fact]
    public void Should_keep_the_fingerprint_stored_rows_were_written_with()
    {
        var op = new Operation
        {
            Kind = OperationKind.Refund,
            Provider = "nicepay",
            MerchantId = "IONPAYTEST",
            PartnerRefundNo = "RF-0001",
            OriginalReferenceNo = "NP-REF-1",
            OriginalPartnerReferenceNo = "ORDER-1",
            Amount = 1000.50m,
            Currency = "IDR",
        };

        // sha256("refund␟nicepay␟IONPAYTEST␟RF-0001␟NP-REF-1␟ORDER-1␟␟1000.50␟IDR"), ␟ being U+001F, computed outside .NET.
        Assert.Equal("1165abbe6271eadb6d33710a9599200380278906c0b7a32bab436c0ad9136c7e", OperationFactory.Fingerprint(op));
    }

    public static TheoryData<string> Cases => [.. Operations.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_hash_the_fields_joined_by_the_unit_separator_as_UTF8(string name)
    {
        var op = Operations[name];

        Assert.Equal(JoinedThenHashed(op), OperationFactory.Fingerprint(op));
    }

    // Cases by name: test runners carry theory data as text, which lone surrogates do not survive.
    private static readonly Dictionary<string, Operation> Operations = new()
    {
        ["cancel without amount or optional fields"] = new() { Kind = OperationKind.Cancel, Provider = "ifortepay", OriginalReferenceNo = "QR-1" },
        ["non-ASCII and an emoji"] = new()
        {
            Kind = OperationKind.Refund, Provider = "nicepay", MerchantId = "Toko Ibu Śri", PartnerRefundNo = "R-😀-1",
            OriginalReferenceNo = "ref", Amount = 0.01m, Currency = "IDR",
        },
        // Encoded field by field, a lone high surrogate at a field's end must still become U+FFFD, as in the joined string.
        ["lone surrogates at field edges"] = new()
        {
            Kind = OperationKind.Refund, Provider = "nicepay", MerchantId = "m\ud83d", PartnerRefundNo = "\ude00r",
            OriginalExternalId = "\ud800", Amount = 12345678901234567.123456789m, Currency = "IDR",
        },
        // Longer than the stack buffer: the pooled path.
        ["fields longer than the stack buffer"] = new()
        {
            Kind = OperationKind.Refund, Provider = "nicepay", MerchantId = new string('m', 700), PartnerRefundNo = new string('é', 600),
            OriginalReferenceNo = "ref", Amount = 5m, Currency = "IDR",
        },
    };

    // The definition the stored fingerprints were computed with.
    private static string JoinedThenHashed(Operation op)
    {
        var s = string.Join('\u001f',
            op.Kind == OperationKind.Refund ? "refund" : "cancel",
            op.Provider,
            op.MerchantId ?? string.Empty,
            op.PartnerRefundNo ?? string.Empty,
            op.OriginalReferenceNo ?? string.Empty,
            op.OriginalPartnerReferenceNo ?? string.Empty,
            op.OriginalExternalId ?? string.Empty,
            op.Amount?.ToString("0.00########", CultureInfo.InvariantCulture) ?? string.Empty,
            op.Currency ?? string.Empty);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
    }
}
