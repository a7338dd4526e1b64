using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public async Task Should_refuse_to_start_naming_the_key_when_a_provider_has_no_public_key()
    {
        var settings = SandboxSettings.CreateDefault("unused");
        settings.Providers["nicepay"].PublicKey = null;

        var ex = await Assert.ThrowsAsync<SandboxConfigurationException>(() => SandboxServer.StartAsync(settings));

        Assert.Contains("Sandbox:Providers:nicepay:PublicKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_to_start_without_echoing_it_when_a_public_key_is_garbage()
    {
        var settings = SandboxSettings.CreateDefault("-----BEGIN PUBLIC KEY-----\nc2VjcmV0LWlzaA==\n-----END PUBLIC KEY-----");

        var ex = await Assert.ThrowsAsync<SandboxConfigurationException>(() => SandboxServer.StartAsync(settings));

        Assert.Contains("Sandbox:Providers:", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0LWlzaA", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_to_start_naming_the_key_when_a_profile_is_unknown()
    {
        var ex = await Assert.ThrowsAsync<SandboxConfigurationException>(() => TestSandbox.StartAsync(s => s.Providers["bnc"].Profile = "paypal"));

        Assert.Contains("Sandbox:Providers:bnc:Profile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_to_start_naming_the_key_when_configured_faults_are_invalid()
    {
        var ex = await Assert.ThrowsAsync<SandboxConfigurationException>(() => TestSandbox.StartAsync(s => s.Providers["ifortepay"].Faults = new FaultSettings { HangRate = 2 }));

        Assert.Contains("Sandbox:Providers:ifortepay:Faults", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_listen_on_loopback_and_give_each_provider_its_prefixed_base_url()
    {
        await using var sb = await TestSandbox.StartAsync();

        Assert.Equal("127.0.0.1", sb.Handle.BaseUrl.Host);
        Assert.NotEqual(0, sb.Handle.BaseUrl.Port);
        Assert.Equal(new Uri(sb.Handle.BaseUrl, "nicepay"), sb.Handle.ProviderUrl("nicepay"));
        Assert.Equal(new Uri(sb.Handle.BaseUrl, "ifortepay"), sb.Handle.ProviderUrl("ifortepay"));
    }

    [Fact]
    public async Task Should_serve_a_second_nicepay_merchant_under_its_own_prefix_when_configured()
    {
        await using var sb = await TestSandbox.StartAsync(s =>
        {
            var second = SandboxProfiles.DefaultProvider("nicepay");
            second.ClientId = "IONPAYTES2";
            second.ClientSecret = "second-secret";
            second.PathPrefix = "/nicepay-2";
            second.PublicKey = s.Providers["nicepay"].PublicKey;
            s.Providers["nicepay2"] = second;
        });
        var original = sb.AddOriginal("nicepay2", 10_000m, merchantId: "IONPAYTES2");

        var answer = await sb.Client("nicepay2").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()));

        Assert.Equal("2007800", answer.ResponseCode);
        Assert.EndsWith("/nicepay-2", sb.Handle.ProviderUrl("nicepay2").AbsoluteUri, StringComparison.Ordinal);
        Assert.Empty(sb.Ledger.Snapshot("nicepay"));
    }

    [Fact]
    public async Task Should_seed_the_originals_file_when_one_is_configured()
    {
        var file = Path.Combine(Path.GetTempPath(), $"sandbox-originals-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """
            [ { "provider": "bnc", "originalReferenceNo": "2023072115548417896116252", "amount": "1000" },
              { "provider": "ifortepay", "originalReferenceNo": "2020102977770000000009", "originalPartnerReferenceNo": "2020102900000000000001", "amount": 10000, "qrType": "STATIC" } ]
            """);
        try
        {
            await using var sb = await TestSandbox.StartAsync(s => s.OriginalsFile = file);

            Assert.Equal(1000m, sb.Ledger.Find("bnc", "2023072115548417896116252")!.Amount);
            Assert.Equal("STATIC", sb.Ledger.FindByPartnerReferenceNo("ifortepay", "2020102900000000000001")!.QrType);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
