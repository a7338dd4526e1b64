using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

public sealed class SnapAccessTokenProviderTests
{
    [Fact]
    public async Task Should_send_one_token_request_when_1000_callers_ask_at_once()
    {
        using var server = new FakeSnapServer { TokenDelay = TimeSpan.FromMilliseconds(200) };
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), TestClock.Create());
        var provider = Providers.Nicepay();
        using var start = new ManualResetEventSlim();

        var callers = Enumerable.Range(0, 1000)
            .Select(_ => Task.Run(async () =>
            {
                start.Wait();
                return await tokens.GetAsync(provider, CancellationToken.None);
            }))
            .ToArray();
        start.Set();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, server.TokenRequests);
        Assert.All(results, t => Assert.Equal("token-1", t));
    }

    [Fact]
    public async Task Should_sign_token_request_when_fetching()
    {
        using var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero };
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 1, 22, 8, 0, 1, TimeSpan.Zero));
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), time);
        using var merchantPublic = TestData.MerchantPublic();

        await tokens.GetAsync(Providers.Nicepay(), CancellationToken.None);

        var call = Assert.Single(server.TokenCalls);
        Assert.Equal("https://dev.nicepay.test/nicepay/v1.0/access-token/b2b", call.Url.AbsoluteUri);
        Assert.Equal("2024-01-22T15:00:01+07:00", call.Headers["X-TIMESTAMP"]);
        Assert.Equal("IONPAYTEST", call.Headers["X-CLIENT-KEY"]);
        // Same client id and timestamp as the first public vector: the signature must be the vector's.
        Assert.Equal(TestData.Vector("accessToken", 0).Str("signature"), call.Headers["X-SIGNATURE"]);
        Assert.True(SnapSignature.VerifyToken(merchantPublic, "IONPAYTEST", "2024-01-22T15:00:01+07:00", call.Headers["X-SIGNATURE"]));
        Assert.Equal("{\"grantType\":\"client_credentials\",\"additionalInfo\":{}}", System.Text.Encoding.UTF8.GetString(call.Body));
        Assert.StartsWith("application/json", call.ContentType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_use_provider_separator_when_signing_token_request()
    {
        using var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero };
        var time = new FakeTimeProvider(new DateTimeOffset(2020, 12, 23, 1, 10, 11, TimeSpan.Zero));
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), time);
        using var merchantPublic = TestData.MerchantPublic();

        await tokens.GetAsync(Providers.IFortePay(), CancellationToken.None);

        var call = Assert.Single(server.TokenCalls);
        Assert.True(SnapSignature.VerifyToken(merchantPublic, "IFP2024067944", "2020-12-23T08:10:11+07:00", call.Headers["X-SIGNATURE"], ":"));
        Assert.Equal("token-stage.ifortepay.test", call.Url.Host);
    }

    [Fact]
    public async Task Should_reuse_cached_token_when_far_from_expiry()
    {
        using var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero };
        var time = TestClock.Create();
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), time);
        var provider = Providers.Nicepay();

        var first = await tokens.GetAsync(provider, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(800));
        var second = await tokens.GetAsync(provider, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(1, server.TokenRequests);
    }

    [Fact]
    public async Task Should_refresh_before_expiry_when_within_skew_of_expires_in()
    {
        using var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero, ExpiresIn = "900" };
        var time = TestClock.Create();
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), time);
        var provider = Providers.Nicepay();

        var first = await tokens.GetAsync(provider, CancellationToken.None);
        // 900 s token, 90 s skew (10 %): at 811 s it is still valid but due for refresh.
        time.Advance(TimeSpan.FromSeconds(811));
        var second = await tokens.GetAsync(provider, CancellationToken.None);
        var third = await tokens.GetAsync(provider, CancellationToken.None);

        Assert.Equal("token-1", first);
        Assert.Equal("token-2", second);
        Assert.Equal("token-2", third);
        Assert.Equal(2, server.TokenRequests);
    }

    [Fact]
    public async Task Should_keep_other_providers_tokens_apart_when_caching()
    {
        using var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero };
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), TestClock.Create());

        var a = await tokens.GetAsync(Providers.Nicepay(), CancellationToken.None);
        var b = await tokens.GetAsync(Providers.IFortePay(), CancellationToken.None);

        Assert.NotEqual(a, b);
        Assert.Equal(2, server.TokenRequests);
    }

    [Fact]
    public async Task Should_fetch_new_token_when_current_one_is_invalidated()
    {
        using var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero };
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), TestClock.Create());
        var provider = Providers.Nicepay();
        var first = await tokens.GetAsync(provider, CancellationToken.None);

        tokens.Invalidate(provider, "some-older-token");
        var stillFirst = await tokens.GetAsync(provider, CancellationToken.None);
        tokens.Invalidate(provider, first);
        var second = await tokens.GetAsync(provider, CancellationToken.None);

        Assert.Equal(first, stillFirst);
        Assert.Equal("token-2", second);
        Assert.Equal(2, server.TokenRequests);
    }

    [Fact]
    public async Task Should_throw_token_exception_naming_the_answer_when_provider_refuses()
    {
        using var server = new FakeSnapServer
        {
            TokenDelay = TimeSpan.Zero,
            TokenAnswer = _ => "{\"responseCode\":\"4017300\",\"responseMessage\":\"Unauthorized. Signature\"}",
        };
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), TestClock.Create());

        var ex = await Assert.ThrowsAsync<SnapTokenException>(async () => await tokens.GetAsync(Providers.Nicepay(), CancellationToken.None));

        Assert.Equal(ResponseCode.Of(401, 73, 0), ex.Code);
        Assert.Contains("4017300", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_not_hammer_token_endpoint_when_it_keeps_failing()
    {
        using var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero, TokenAnswer = _ => "<html>502</html>" };
        var time = TestClock.Create();
        var tokens = new SnapAccessTokenProvider(new HttpClient(server), time);
        var provider = Providers.Nicepay();

        for (var i = 0; i < 20; i++)
        {
            await Assert.ThrowsAsync<SnapTokenException>(async () => await tokens.GetAsync(provider, CancellationToken.None));
        }

        Assert.Equal(1, server.TokenRequests);
        time.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<SnapTokenException>(async () => await tokens.GetAsync(provider, CancellationToken.None));
        Assert.Equal(2, server.TokenRequests);
    }
}
