using System.Text;
using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

/// <summary>Every vector of TestData/vectors.json (computed independently with Node, openssl and Python).</summary>
public sealed class SnapSignatureTests
{
    public static IEnumerable<object[]> TokenVectors => TestData.Indexes("accessToken");

    public static IEnumerable<object[]> TransactionVectors => TestData.Indexes("transaction");

    public static IEnumerable<object[]> NotificationVectors => TestData.Indexes("notification");

    [Theory]
    [MemberData(nameof(TokenVectors))]
    public void Should_reproduce_token_signature_when_signing_vector(int index)
    {
        var v = TestData.Vector("accessToken", index);
        using var key = TestData.MerchantPrivate();

        var stringToSign = SnapSignature.TokenStringToSign(v.Str("clientKey"), v.Str("timestamp"));
        var signature = SnapSignature.SignToken(key, v.Str("clientKey"), v.Str("timestamp"));

        Assert.Equal(v.Str("stringToSign"), stringToSign);
        Assert.Equal(v.Str("signature"), signature);
    }

    [Theory]
    [MemberData(nameof(TokenVectors))]
    public void Should_reproduce_token_signature_when_key_is_pkcs1(int index)
    {
        var v = TestData.Vector("accessToken", index);
        using var key = SnapKeys.LoadPrivateKeyFile(TestData.KeyPath("merchant-private-pkcs1.pem"), "test");

        Assert.Equal(v.Str("signature"), SnapSignature.SignToken(key, v.Str("clientKey"), v.Str("timestamp")));
    }

    [Theory]
    [MemberData(nameof(TokenVectors))]
    public void Should_verify_token_signature_when_vector_is_untouched(int index)
    {
        var v = TestData.Vector("accessToken", index);
        using var key = TestData.MerchantPublic();

        Assert.True(SnapSignature.VerifyToken(key, v.Str("clientKey"), v.Str("timestamp"), v.Str("signature")));
    }

    [Theory]
    [MemberData(nameof(TokenVectors))]
    public void Should_reject_token_signature_when_timestamp_or_key_differs(int index)
    {
        var v = TestData.Vector("accessToken", index);
        using var merchant = TestData.MerchantPublic();
        using var provider = TestData.ProviderPublic();

        Assert.False(SnapSignature.VerifyToken(merchant, v.Str("clientKey"), v.Str("timestamp").Replace("+07:00", "+08:00", StringComparison.Ordinal), v.Str("signature")));
        Assert.False(SnapSignature.VerifyToken(provider, v.Str("clientKey"), v.Str("timestamp"), v.Str("signature")));
        Assert.False(SnapSignature.VerifyToken(merchant, v.Str("clientKey"), v.Str("timestamp"), "not base64!"));
    }

    [Fact]
    public void Should_use_configured_separator_when_provider_writes_colon()
    {
        using var key = TestData.MerchantPrivate();
        using var pub = TestData.MerchantPublic();

        var signature = SnapSignature.SignToken(key, "IFP2024067944", "2020-12-23T08:10:11+07:00", ":");

        Assert.Equal("IFP2024067944:2020-12-23T08:10:11+07:00", SnapSignature.TokenStringToSign("IFP2024067944", "2020-12-23T08:10:11+07:00", ":"));
        Assert.True(SnapSignature.VerifyToken(pub, "IFP2024067944", "2020-12-23T08:10:11+07:00", signature, ":"));
        Assert.False(SnapSignature.VerifyToken(pub, "IFP2024067944", "2020-12-23T08:10:11+07:00", signature));
    }

    [Theory]
    [MemberData(nameof(TransactionVectors))]
    public void Should_reproduce_symmetric_signature_when_signing_vector(int index)
    {
        var v = TestData.Vector("transaction", index);
        var minified = JsonMinifier.Minify(Encoding.UTF8.GetBytes(v.Str("body")));

        Assert.Equal(v.Str("minifiedBody"), Encoding.UTF8.GetString(minified));
        Assert.Equal(v.Str("bodySha256Hex"), SnapSignature.BodySha256Hex(minified));
        Assert.Equal(v.Str("stringToSign"), SnapSignature.SymmetricStringToSign(v.Str("method"), v.Str("path"), v.Str("accessToken"), minified, v.Str("timestamp")));
        Assert.Equal(v.Str("signature"), SnapSignature.SignSymmetric(v.Str("clientSecret"), v.Str("method"), v.Str("path"), v.Str("accessToken"), minified, v.Str("timestamp")));
    }

    [Theory]
    [MemberData(nameof(TransactionVectors))]
    public void Should_verify_symmetric_signature_when_vector_is_untouched_and_reject_changes(int index)
    {
        var v = TestData.Vector("transaction", index);
        var minified = JsonMinifier.Minify(Encoding.UTF8.GetBytes(v.Str("body")));
        var (secret, method, path, token, ts, sig) = (v.Str("clientSecret"), v.Str("method"), v.Str("path"), v.Str("accessToken"), v.Str("timestamp"), v.Str("signature"));

        Assert.True(SnapSignature.VerifySymmetric(secret, method, path, token, minified, ts, sig));
        Assert.False(SnapSignature.VerifySymmetric(secret + "x", method, path, token, minified, ts, sig));
        Assert.False(SnapSignature.VerifySymmetric(secret, method, "/nicepay" + path, token, minified, ts, sig));
        Assert.False(SnapSignature.VerifySymmetric(secret, method, path, token + "x", minified, ts, sig));
        Assert.False(SnapSignature.VerifySymmetric(secret, method, path, token, minified.Append((byte)' ').ToArray(), ts, sig));
        Assert.False(SnapSignature.VerifySymmetric(secret, method, path, token, minified, ts, sig[..^4] + "AAA="));
        Assert.False(SnapSignature.VerifySymmetric(secret, method, path, token, minified, ts, "@@@"));
        Assert.False(SnapSignature.VerifySymmetric(secret, method, path, token, minified, ts, ""));
    }

    [Theory]
    [MemberData(nameof(NotificationVectors))]
    public void Should_reproduce_asymmetric_signature_when_signing_vector(int index)
    {
        var v = TestData.Vector("notification", index);
        using var key = TestData.ProviderPrivate();
        var minified = JsonMinifier.Minify(Encoding.UTF8.GetBytes(v.Str("body")));

        Assert.Equal(v.Str("stringToSign"), SnapSignature.AsymmetricStringToSign(v.Str("method"), v.Str("path"), minified, v.Str("timestamp")));
        Assert.Equal(v.Str("signature"), SnapSignature.SignAsymmetric(key, v.Str("method"), v.Str("path"), minified, v.Str("timestamp")));
    }

    [Theory]
    [MemberData(nameof(NotificationVectors))]
    public void Should_verify_asymmetric_signature_when_received_body_is_pretty_printed(int index)
    {
        var v = TestData.Vector("notification", index);
        using var provider = TestData.ProviderPublic();
        using var merchant = TestData.MerchantPublic();

        // A peer's body is minified exactly as received, then checked.
        var received = JsonMinifier.Minify(Encoding.UTF8.GetBytes(v.Str("body")));

        Assert.True(SnapSignature.VerifyAsymmetric(provider, v.Str("method"), v.Str("path"), received, v.Str("timestamp"), v.Str("signature")));
        Assert.False(SnapSignature.VerifyAsymmetric(merchant, v.Str("method"), v.Str("path"), received, v.Str("timestamp"), v.Str("signature")));
        if (v.Str("body") != Encoding.UTF8.GetString(received))
        {
            // Hashing the pretty-printed bytes as received, without minifying, is the classic mistake.
            Assert.False(SnapSignature.VerifyAsymmetric(provider, v.Str("method"), v.Str("path"), Encoding.UTF8.GetBytes(v.Str("body")), v.Str("timestamp"), v.Str("signature")));
        }
    }

    [Fact]
    public void Should_hash_empty_string_when_body_is_empty()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", SnapSignature.BodySha256Hex([]));
    }

    [Fact]
    public void Should_uppercase_method_when_building_string_to_sign()
    {
        Assert.StartsWith("GET:/v1.0/x:", SnapSignature.AsymmetricStringToSign("get", "/v1.0/x", [], "2024-01-01T00:00:00+07:00"), StringComparison.Ordinal);
    }
}
