using System.Security.Cryptography;
using RefundWorker.Inbound;

namespace RefundWorker.Inbound.Tests;

/// <summary>What ValidateOnStart reports: every failure names its configuration key and never echoes key material.</summary>
public sealed class InboundOptionsValidatorTests
{
    private static readonly string PublicKey = CreatePublicKey();

    [Fact]
    public void Should_accept_a_complete_partner()
    {
        var result = Validate(Partner());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Should_name_Inbound_Partners_x_ClientId_when_it_is_missing()
    {
        var result = Validate(Partner(clientId: ""));

        Assert.Contains("Inbound:Partners:nicepay:ClientId", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_ClientSecret_when_the_symmetric_mode_has_no_secret()
    {
        var result = Validate(Partner(secret: ""));

        Assert.Contains("Inbound:Partners:nicepay:ClientSecret", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_not_require_a_secret_when_the_mode_is_asymmetric()
    {
        var result = Validate(Partner(secret: "", mode: InboundSignatureMode.AsymmetricClientIdTimestamp));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Should_ask_for_exactly_one_public_key_source_when_none_is_given()
    {
        var result = Validate(Partner(publicKey: null));

        Assert.Contains("Inbound:Partners:nicepay:PublicKeyPath or Inbound:Partners:nicepay:PublicKey", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_PublicKeyPath_without_echoing_the_file_when_it_is_not_a_key()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
        try
        {
            var result = Validate(Partner(publicKey: null, publicKeyPath: path));

            Assert.Contains("Inbound:Partners:nicepay:PublicKeyPath", result.FailureMessage, StringComparison.Ordinal);
            Assert.DoesNotContain("bm90IGEga2V5", result.FailureMessage, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Should_load_the_key_from_PublicKeyPath_when_it_is_a_pem_file()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, PublicKey);
        try
        {
            var result = Validate(Partner(publicKey: null, publicKeyPath: path));

            Assert.True(result.Succeeded, result.FailureMessage);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3601)]
    public void Should_name_TimestampSkewSeconds_when_out_of_range(int skew)
    {
        var result = Validate(Partner(skew: skew));

        Assert.Contains("Inbound:Partners:nicepay:TimestampSkewSeconds", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_two_partners_with_one_ClientId()
    {
        var options = new InboundOptions();
        options.Partners["nicepay"] = Partner();
        options.Partners["nicepay2"] = Partner();

        var result = new InboundOptionsValidator().Validate(null, options);

        Assert.Contains("Inbound:Partners:nicepay2:ClientId", result.FailureMessage, StringComparison.Ordinal);
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(InboundPartnerOptions partner)
    {
        var options = new InboundOptions();
        options.Partners["nicepay"] = partner;
        return new InboundOptionsValidator().Validate(null, options);
    }

    private static InboundPartnerOptions Partner(
        string clientId = "IONPAYTEST",
        string secret = "secret",
        string? publicKey = "default",
        string? publicKeyPath = null,
        InboundSignatureMode mode = InboundSignatureMode.Symmetric,
        int skew = 300) => new()
        {
            ClientId = clientId,
            ClientSecret = secret,
            PublicKey = publicKey == "default" ? PublicKey : publicKey,
            PublicKeyPath = publicKeyPath,
            SignatureMode = mode,
            TimestampSkewSeconds = skew,
        };

    private static string CreatePublicKey()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportSubjectPublicKeyInfoPem();
    }
}
