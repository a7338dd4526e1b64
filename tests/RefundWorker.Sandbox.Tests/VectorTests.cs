using System.Text.Json;
using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>
/// vectors.json (computed with Node crypto, cross-checked with openssl and Python) replayed against the sandbox:
/// a request signed exactly as the vector says must be accepted. This is what keeps a bug shared by the sandbox and
/// RefundWorker.Snap (which the sandbox verifies with) from passing unnoticed.
/// </summary>
public sealed class VectorTests
{
    private static readonly JsonElement Vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "vectors.json"))).RootElement;
    private static readonly string VectorPublicKey = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "vector-merchant-public.pem"));

    [Fact]
    public void Should_reproduce_every_transaction_vector_when_the_test_signer_signs_it()
    {
        foreach (var v in Vectors.GetProperty("transaction").EnumerateArray())
        {
            var stringToSign = TestSigner.StringToSign(S(v, "method"), S(v, "path"), S(v, "accessToken"), S(v, "minifiedBody"), S(v, "timestamp"));
            var signature = TestSigner.Symmetric(S(v, "clientSecret"), S(v, "method"), S(v, "path"), S(v, "accessToken"), S(v, "minifiedBody"), S(v, "timestamp"));

            Assert.Equal(S(v, "stringToSign"), stringToSign);
            Assert.Equal(S(v, "signature"), signature);
        }
    }

    [Theory]
    [InlineData(0, "nicepay")]
    [InlineData(1, "ifortepay")]
    public async Task Should_issue_a_token_when_the_request_carries_a_vector_signature(int index, string provider)
    {
        var v = Vectors.GetProperty("accessToken")[index];
        await using var sb = await TestSandbox.StartAsync(
            s =>
            {
                s.Providers[provider].PublicKey = VectorPublicKey;
                s.Providers[provider].ClientId = S(v, "clientKey");
            },
            now: DateTimeOffset.Parse(S(v, "timestamp"), System.Globalization.CultureInfo.InvariantCulture));

        var answer = await sb.Client(provider).TokenAsync(new TokenOptions { Timestamp = S(v, "timestamp"), Signature = S(v, "signature") });

        Assert.Equal("2007300", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_refund_when_the_nicepay_vector_request_is_replayed_with_its_pretty_printed_body()
    {
        var v = Vectors.GetProperty("transaction")[0];
        await using var sb = await TestSandbox.StartAsync(
            s => s.Providers["nicepay"].ClientSecret = S(v, "clientSecret"),
            now: DateTimeOffset.Parse(S(v, "timestamp"), System.Globalization.CultureInfo.InvariantCulture));
        sb.Handle.AddAccessToken("nicepay", S(v, "accessToken"), TimeSpan.FromMinutes(15));
        sb.Ledger.AddOriginal(new OriginalSeed
        {
            Provider = "nicepay",
            OriginalReferenceNo = "NCPY20221017161458",
            OriginalPartnerReferenceNo = "IONPAYTEST08202106091121206416",
            MerchantId = "IONPAYTEST",
            Amount = 10000m,
        });

        // The body is sent pretty-printed as in the vector; the signature covers its minified form.
        var answer = await sb.Client("nicepay").PostAsync(
            SandboxOperation.Refund,
            S(v, "body"),
            new CallOptions { Token = S(v, "accessToken"), Timestamp = S(v, "timestamp"), Signature = S(v, "signature"), ExternalId = "EXID202402111402271707638098" });

        Assert.Equal("2007800", answer.ResponseCode);
        var entry = sb.Ledger.Find("nicepay", "NCPY20221017161458")!;
        Assert.Equal(10000m, entry.RefundedAmount);
        Assert.Equal("NCPY20221017161458", Assert.Single(entry.Refunds).PartnerRefundNo);
    }

    [Fact]
    public async Task Should_cancel_when_the_ifortepay_vector_request_is_replayed()
    {
        var v = Vectors.GetProperty("transaction")[1];
        await using var sb = await TestSandbox.StartAsync(
            s => s.Providers["ifortepay"].ClientSecret = S(v, "clientSecret"),
            now: DateTimeOffset.Parse(S(v, "timestamp"), System.Globalization.CultureInfo.InvariantCulture));
        sb.Handle.AddAccessToken("ifortepay", S(v, "accessToken"), TimeSpan.FromMinutes(15));
        sb.Ledger.AddOriginal(new OriginalSeed
        {
            Provider = "ifortepay",
            OriginalReferenceNo = "2020102977770000000009",
            OriginalPartnerReferenceNo = "2020102900000000000001",
            Amount = 10000m,
        });

        var answer = await sb.Client("ifortepay").PostAsync(
            SandboxOperation.Cancel,
            S(v, "body"),
            new CallOptions { Token = S(v, "accessToken"), Timestamp = S(v, "timestamp"), Signature = S(v, "signature"), ExternalId = "41807553358950093184162180797837" });

        Assert.Equal("2007700", answer.ResponseCode);
        Assert.NotNull(sb.Ledger.Find("ifortepay", "2020102977770000000009")!.Cancel);
    }

    [Fact]
    public async Task Should_answer_4017800_when_one_character_of_the_vector_signature_changes()
    {
        var v = Vectors.GetProperty("transaction")[0];
        await using var sb = await TestSandbox.StartAsync(
            s => s.Providers["nicepay"].ClientSecret = S(v, "clientSecret"),
            now: DateTimeOffset.Parse(S(v, "timestamp"), System.Globalization.CultureInfo.InvariantCulture));
        sb.Handle.AddAccessToken("nicepay", S(v, "accessToken"), TimeSpan.FromMinutes(15));
        var signature = S(v, "signature");
        var tampered = (signature[0] == 'A' ? "B" : "A") + signature[1..];

        var answer = await sb.Client("nicepay").PostAsync(
            SandboxOperation.Refund,
            S(v, "body"),
            new CallOptions { Token = S(v, "accessToken"), Timestamp = S(v, "timestamp"), Signature = tampered });

        Assert.Equal("4017800", answer.ResponseCode);
    }

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
