using System.Security.Cryptography;
using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

public sealed class SnapKeysTests
{
    private const string Setting = "Snap:Providers:nicepay:PrivateKey";

    private static string Body(string pem)
        => string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim()));

    private static string TokenSignature(RSA key) => SnapSignature.SignToken(key, "IONPAYTEST", "2024-01-22T15:00:01+07:00");

    private static string ExpectedTokenSignature => TestData.Vector("accessToken", 0).Str("signature");

    [Fact]
    public void Should_load_private_key_when_pkcs8_pem()
    {
        using var key = SnapKeys.LoadPrivateKey(TestData.KeyText("merchant-private.pem"), Setting);

        Assert.Equal(ExpectedTokenSignature, TokenSignature(key));
    }

    [Fact]
    public void Should_load_private_key_when_pkcs1_pem()
    {
        using var key = SnapKeys.LoadPrivateKey(TestData.KeyText("merchant-private-pkcs1.pem"), Setting);

        Assert.Equal(ExpectedTokenSignature, TokenSignature(key));
    }

    [Fact]
    public void Should_load_private_key_when_bare_base64_pkcs8_der()
    {
        // NICEPAY's portal hands out the PKCS#8 DER as one base64 line, without PEM armour.
        var bare = Body(TestData.KeyText("merchant-private.pem"));
        using var key = SnapKeys.LoadPrivateKey(bare, Setting);

        Assert.Equal(ExpectedTokenSignature, TokenSignature(key));
    }

    [Fact]
    public void Should_load_private_key_when_bare_base64_is_wrapped_over_lines()
    {
        var wrapped = string.Join('\n', TestData.KeyText("merchant-private.pem").Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
        using var key = SnapKeys.LoadPrivateKey(wrapped, Setting);

        Assert.Equal(ExpectedTokenSignature, TokenSignature(key));
    }

    [Theory]
    [InlineData("crlf")]
    [InlineData("one-line")]
    [InlineData("escaped-newlines")]
    public void Should_load_private_key_when_pem_arrives_through_an_environment_variable(string form)
    {
        // Secrets stores and env vars mangle PEM line breaks in these three ways.
        var pem = TestData.KeyText("merchant-private.pem").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        var text = form switch
        {
            "crlf" => pem.Replace("\n", "\r\n", StringComparison.Ordinal),
            "one-line" => pem.Replace("\n", "", StringComparison.Ordinal),
            _ => pem.Replace("\n", "\\n", StringComparison.Ordinal),
        };

        using var key = SnapKeys.LoadPrivateKey(text, Setting);

        Assert.Equal(ExpectedTokenSignature, TokenSignature(key));
    }

    [Fact]
    public void Should_load_public_key_when_spki_pem_or_bare_base64()
    {
        var sig = ExpectedTokenSignature;
        using var pem = SnapKeys.LoadPublicKey(TestData.KeyText("merchant-public.pem"), "Snap:Partners:nicepay:PublicKey");
        using var bare = SnapKeys.LoadPublicKey(Body(TestData.KeyText("merchant-public.pem")), "Snap:Partners:nicepay:PublicKey");

        Assert.True(SnapSignature.VerifyToken(pem, "IONPAYTEST", "2024-01-22T15:00:01+07:00", sig));
        Assert.True(SnapSignature.VerifyToken(bare, "IONPAYTEST", "2024-01-22T15:00:01+07:00", sig));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a key at all")]
    [InlineData("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")]
    public void Should_name_the_setting_when_private_key_is_bad(string text)
    {
        var ex = Assert.Throws<SnapConfigurationException>(() => SnapKeys.LoadPrivateKey(text, Setting));

        Assert.StartsWith(Setting, ex.Message, StringComparison.Ordinal);
        Assert.Equal(Setting, ex.SettingName);
    }

    [Fact]
    public void Should_refuse_public_key_and_not_echo_it_when_given_as_private_key()
    {
        var publicPem = TestData.KeyText("merchant-public.pem");

        var ex = Assert.Throws<SnapConfigurationException>(() => SnapKeys.LoadPrivateKey(publicPem, Setting));

        Assert.Contains(Setting, ex.Message, StringComparison.Ordinal);
        Assert.Contains("PUBLIC KEY", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Body(publicPem)[..20], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_never_echo_key_material_when_private_key_is_corrupt()
    {
        var pem = TestData.KeyText("merchant-private.pem");
        var corrupt = pem.Replace("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCUCx1el8Uk2JkI", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCUCx1el8Uk2Jk!", StringComparison.Ordinal);

        var ex = Assert.Throws<SnapConfigurationException>(() => SnapKeys.LoadPrivateKey(corrupt, Setting));

        foreach (var line in corrupt.Split('\n').Where(l => l.Length > 16 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line[..16], ex.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_name_setting_and_path_when_key_file_is_missing()
    {
        var ex = Assert.Throws<SnapConfigurationException>(() => SnapKeys.LoadPrivateKeyFile("/nonexistent/key.pem", "Snap:Providers:bnc:PrivateKeyPath"));

        Assert.StartsWith("Snap:Providers:bnc:PrivateKeyPath", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/key.pem", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_the_setting_when_public_key_is_a_private_key()
    {
        var ex = Assert.Throws<SnapConfigurationException>(() => SnapKeys.LoadPublicKey(TestData.KeyText("merchant-private.pem"), "Snap:Partners:x:PublicKey"));

        Assert.StartsWith("Snap:Partners:x:PublicKey", ex.Message, StringComparison.Ordinal);
    }
}
