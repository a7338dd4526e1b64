using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

public sealed class SnapProviderTests
{
    private static Dictionary<string, string?> NicepayConfig(string name = "nicepay") => new()
    {
        [$"Snap:Providers:{name}:Profile"] = "nicepay",
        [$"Snap:Providers:{name}:BaseUrl"] = "https://dev.nicepay.test/nicepay",
        [$"Snap:Providers:{name}:ClientId"] = "IONPAYTEST",
        [$"Snap:Providers:{name}:ClientSecret"] = "merchant-client-secret-0001",
        [$"Snap:Providers:{name}:PrivateKeyPath"] = TestData.KeyPath("merchant-private.pem"),
    };

    private static async Task<IHost> StartHostAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSnapProviders(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    [Fact]
    public void Should_sign_path_without_base_prefix_when_base_url_has_one()
    {
        var provider = Providers.Nicepay();

        Assert.Equal("https://dev.nicepay.test/nicepay/api/v1.0/qr/qr-mpm-refund", provider.RefundEndpoint!.Url.AbsoluteUri);
        Assert.Equal("/api/v1.0/qr/qr-mpm-refund", provider.RefundEndpoint.SignedPath);
        Assert.Equal("/api/v1.0/qr/qr-mpm-query", provider.QueryEndpoint!.SignedPath);
        Assert.Equal("https://dev.nicepay.test/nicepay/v1.0/access-token/b2b", provider.TokenEndpoint.Url.AbsoluteUri);
        Assert.Null(provider.CancelEndpoint);
    }

    [Fact]
    public void Should_sign_full_path_when_prefix_to_strip_is_root()
    {
        var options = Providers.NicepayOptions();
        options.SignedPathPrefixToStrip = "/";

        var provider = SnapProvider.Create("nicepay", options);

        Assert.Equal("/nicepay/api/v1.0/qr/qr-mpm-refund", provider.RefundEndpoint!.SignedPath);
    }

    [Fact]
    public void Should_apply_profile_defaults_when_settings_are_unset()
    {
        var nicepay = Providers.Nicepay();
        var ifp = Providers.IFortePay();
        var bank = Providers.Bnc();

        Assert.Equal(("IONPAYTEST01", "IONPAYTEST", 40, "|"), (nicepay.ChannelId, nicepay.PartnerId, nicepay.ExternalIdMaxLength, nicepay.TokenSeparator));
        Assert.Equal(("QR004", 36, ":"), (ifp.ChannelId, ifp.ExternalIdMaxLength, ifp.TokenSeparator));
        Assert.Equal("https://token-stage.ifortepay.test/auth/v1.0/access-token/b2b", ifp.TokenEndpoint.Url.AbsoluteUri);
        Assert.Equal("/v1.0/qr/qr-mpm-cancel", ifp.CancelEndpoint!.SignedPath);
        Assert.Null(ifp.RefundEndpoint);
        Assert.Equal(("95221", "www.hostname.com", AmountFormat.Integer, 36), (bank.ChannelId, bank.Origin, bank.AmountFormat, bank.ExternalIdMaxLength));
        Assert.Null(bank.QueryEndpoint);
        Assert.False(bank.Profile.HasQuery);
        Assert.Equal(TimeSpan.FromSeconds(10), nicepay.Timeout);
    }

    [Fact]
    public async Task Should_resolve_providers_when_configuration_is_valid()
    {
        using var host = await StartHostAsync(NicepayConfig());

        var registry = host.Services.GetRequiredService<SnapProviderRegistry>();

        Assert.Equal("IONPAYTEST", registry.Get("NICEPAY").ClientId);
        Assert.Single(registry.All);
        Assert.NotNull(host.Services.GetRequiredService<SnapClient>());
        Assert.Throws<KeyNotFoundException>(() => registry.Get("other"));
        await host.StopAsync();
    }

    [Theory]
    [InlineData("PrivateKeyPath", "/nonexistent/merchant.pem", "Snap:Providers:nicepay:PrivateKeyPath")]
    [InlineData("Profile", "paypal", "Snap:Providers:nicepay:Profile")]
    [InlineData("BaseUrl", "not a url", "Snap:Providers:nicepay:BaseUrl")]
    [InlineData("ClientSecret", "", "Snap:Providers:nicepay:ClientSecret")]
    [InlineData("TimeoutSeconds", "0", "Snap:Providers:nicepay:TimeoutSeconds")]
    [InlineData("RefundPath", "api/no-slash", "Snap:Providers:nicepay:RefundPath")]
    public async Task Should_fail_start_naming_the_key_when_a_setting_is_bad(string setting, string value, string expectedKey)
    {
        var settings = NicepayConfig();
        settings[$"Snap:Providers:nicepay:{setting}"] = value;

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartHostAsync(settings));

        Assert.Contains(ex.Failures, f => f.StartsWith(expectedKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_fail_start_naming_private_key_when_inline_key_is_corrupt()
    {
        var settings = NicepayConfig();
        settings.Remove("Snap:Providers:nicepay:PrivateKeyPath");
        settings["Snap:Providers:nicepay:PrivateKey"] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ";

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartHostAsync(settings));

        var failure = Assert.Single(ex.Failures);
        Assert.StartsWith("Snap:Providers:nicepay:PrivateKey ", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_start_when_bank_profile_has_no_origin_or_key_is_missing()
    {
        var settings = NicepayConfig("bank");
        settings["Snap:Providers:bank:Profile"] = "bnc";
        settings.Remove("Snap:Providers:bank:PrivateKeyPath");

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartHostAsync(settings));

        Assert.Contains(ex.Failures, f => f.StartsWith("Snap:Providers:bank:Origin", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Snap:Providers:bank:PrivateKeyPath", StringComparison.Ordinal));
    }
}
