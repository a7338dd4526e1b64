using System.Security.Cryptography;
using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

public sealed class TokenTests
{
    [Theory]
    [InlineData("nicepay")]
    [InlineData("bnc")]
    [InlineData("ifortepay")]
    public async Task Should_issue_a_bearer_token_when_the_rsa_signature_is_valid(string provider)
    {
        await using var sb = await TestSandbox.StartAsync();

        var answer = await sb.Client(provider).TokenAsync();

        Assert.Equal(200, answer.HttpStatus);
        Assert.Equal("2007300", answer.ResponseCode);
        Assert.Equal("Bearer", answer.Get("tokenType"));
        Assert.Equal("900", answer.Get("expiresIn"));
        Assert.False(string.IsNullOrEmpty(answer.Get("accessToken")));
    }

    [Fact]
    public async Task Should_answer_4017300_when_the_token_is_signed_with_another_key()
    {
        await using var sb = await TestSandbox.StartAsync();
        using var other = RSA.Create(2048);

        var answer = await sb.Client("nicepay").TokenAsync(new TokenOptions { Key = other });

        Assert.Equal(401, answer.HttpStatus);
        Assert.Equal("4017300", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4017300_when_the_client_key_is_unknown()
    {
        await using var sb = await TestSandbox.StartAsync();

        var answer = await sb.Client("nicepay").TokenAsync(new TokenOptions { ClientKey = "SOMEONEELSE" });

        Assert.Equal("4017300", answer.ResponseCode);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Should_answer_4017300_when_the_timestamp_is_outside_the_allowed_skew(int offsetSeconds)
    {
        await using var sb = await TestSandbox.StartAsync();
        var timestamp = TestSigner.Timestamp(sb.Clock.GetUtcNow().AddSeconds(offsetSeconds));

        var answer = await sb.Client("nicepay").TokenAsync(new TokenOptions { Timestamp = timestamp });

        Assert.Equal("4017300", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_issue_a_token_when_the_timestamp_is_within_a_configured_wider_skew()
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["nicepay"].TimestampSkewSeconds = 900);
        var timestamp = TestSigner.Timestamp(sb.Clock.GetUtcNow().AddMinutes(-10));

        var answer = await sb.Client("nicepay").TokenAsync(new TokenOptions { Timestamp = timestamp });

        Assert.Equal("2007300", answer.ResponseCode);
    }

    [Theory]
    [InlineData("X-TIMESTAMP")]
    [InlineData("X-CLIENT-KEY")]
    [InlineData("X-SIGNATURE")]
    public async Task Should_answer_4007302_when_a_token_header_is_missing(string header)
    {
        await using var sb = await TestSandbox.StartAsync();

        var answer = await sb.Client("nicepay").TokenAsync(new TokenOptions { Omit = [header] });

        Assert.Equal(400, answer.HttpStatus);
        Assert.Equal("4007302", answer.ResponseCode);
        Assert.Contains(header, answer.Get("responseMessage"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_4007301_when_the_timestamp_is_not_iso8601_with_offset()
    {
        await using var sb = await TestSandbox.StartAsync();

        var answer = await sb.Client("nicepay").TokenAsync(new TokenOptions { Timestamp = "2024-01-22 15:00:01" });

        Assert.Equal("4007301", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4007301_when_the_grant_type_is_not_client_credentials()
    {
        await using var sb = await TestSandbox.StartAsync();

        var answer = await sb.Client("nicepay").TokenAsync(new TokenOptions { Body = """{"grantType":"password"}""" });

        Assert.Equal("4007301", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4007302_when_the_grant_type_is_missing()
    {
        await using var sb = await TestSandbox.StartAsync();

        var answer = await sb.Client("nicepay").TokenAsync(new TokenOptions { Body = """{"additionalInfo":{}}""" });

        Assert.Equal("4007302", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_verify_the_token_with_the_configured_separator_when_a_provider_uses_a_colon()
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["ifortepay"].TokenSeparator = ":");
        var client = sb.Client("ifortepay");
        var timestamp = TestSigner.Timestamp(sb.Clock.GetUtcNow());

        var colon = await client.TokenAsync(new TokenOptions { Timestamp = timestamp, Signature = TestSigner.Token(sb.MerchantKey, client.Provider.ClientId, timestamp, ":") });
        var pipe = await client.TokenAsync(new TokenOptions { Timestamp = timestamp, Signature = TestSigner.Token(sb.MerchantKey, client.Provider.ClientId, timestamp, "|") });

        Assert.Equal("2007300", colon.ResponseCode);
        Assert.Equal("4017300", pipe.ResponseCode);
    }

    [Fact]
    public async Task Should_reject_the_token_with_4017801_when_its_announced_lifetime_has_passed()
    {
        await using var sb = await TestSandbox.StartAsync(s => s.Providers["nicepay"].TokenLifetimeSeconds = 60);
        var client = sb.Client("nicepay");
        var original = sb.AddOriginal("nicepay", 10_000m);
        var token = await client.AccessTokenAsync();

        var before = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original), new CallOptions { Token = token });
        sb.Clock.Advance(TimeSpan.FromSeconds(61));
        var after = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original), new CallOptions { Token = token });

        Assert.Equal("2005100", before.ResponseCode);
        Assert.Equal("4015101", after.ResponseCode);
    }
}
