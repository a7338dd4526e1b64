using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RefundWorker.Inbound.Persistence;

namespace RefundWorker.Inbound.Tests;

/// <summary><c>POST /api/v1.0/access-token/b2b</c> over real HTTP, signed as NICEPAY signs it.</summary>
[Collection(InboundCollection.Name)]
public sealed class AccessTokenEndpointTests(InboundHost host) : IClassFixture<InboundHost>
{
    [Fact]
    public async Task Should_issue_a_900_second_bearer_token_stored_only_as_its_hash_when_signature_is_valid()
    {
        using var response = await host.Symmetric.RequestTokenAsync();
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal("2007300", result.ResponseCode);
        Assert.Equal("Successful", result.ResponseMessage);
        Assert.Equal("Bearer", result.Json.GetProperty("tokenType").GetString());
        Assert.Equal("900", result.Json.GetProperty("expiresIn").GetString());
        var token = result.Json.GetProperty("accessToken").GetString()!;
        Assert.True(token.Length >= 40, "a token carries at least 256 random bits");

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        var stored = await host.DbAsync(db => db.Set<InboundAccessToken>().AsNoTracking().SingleAsync(t => t.TokenHash == hash));
        Assert.Equal("nicepay", stored.PartnerName);
        Assert.Equal(TimeSpan.FromSeconds(900), stored.ExpiresAt - stored.IssuedAt);
        var tokenInDatabase = await host.DbAsync(db => db.Database
            .SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM inbound_access_tokens WHERE position(convert_to({token}, 'UTF8') in token_hash) > 0 OR partner_name = {token}")
            .SingleAsync());
        Assert.Equal(0, tokenInDatabase);
    }

    [Fact]
    public async Task Should_issue_different_tokens_when_asked_twice()
    {
        var first = await host.Symmetric.TokenAsync();
        var second = await host.Symmetric.TokenAsync();

        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Should_refuse_with_4017300_when_signed_with_a_key_other_than_the_configured_one()
    {
        using var response = await host.Symmetric.RequestTokenAsync(key: host.StrangerKey);
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, result.Status);
        Assert.Equal("4017300", result.ResponseCode);
        Assert.Contains("Signature", result.ResponseMessage, StringComparison.Ordinal);
        Assert.False(result.Json.TryGetProperty("accessToken", out _));
    }

    [Fact]
    public async Task Should_refuse_with_4017300_when_the_signed_timestamp_differs_from_X_TIMESTAMP()
    {
        var caller = host.Symmetric;
        var signedAt = caller.Now();
        var request = new HttpRequestMessage(HttpMethod.Post, NicepayCaller.TokenPath)
        {
            Content = new StringContent(NicepayCaller.TokenBody, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-CLIENT-KEY", caller.ClientId);
        request.Headers.Add("X-TIMESTAMP", NicepayCaller.Timestamp(host.Clock.GetUtcNow().AddSeconds(-1)));
        request.Headers.Add("X-SIGNATURE", NicepayCaller.SignRsa(host.NicepayKey, $"{caller.ClientId}|{signedAt}"));

        using var response = await host.Http.SendAsync(request);
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal("4017300", result.ResponseCode);
    }

    [Fact]
    public async Task Should_refuse_with_4017300_when_X_CLIENT_KEY_is_unknown()
    {
        using var response = await host.Symmetric.RequestTokenAsync(clientKey: "SOMEONEELSE");
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, result.Status);
        Assert.Equal("4017300", result.ResponseCode);
        // Worded as a bad signature, not as an unknown client: the answer must not tell which client ids exist
        // (InboundSurfaceTests compares the two answers byte for byte).
        Assert.Equal("Unauthorized. Signature invalid", result.ResponseMessage);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Should_refuse_with_4017300_when_X_TIMESTAMP_is_outside_the_skew_window(int offsetSeconds)
    {
        var timestamp = NicepayCaller.Timestamp(host.Clock.GetUtcNow().AddSeconds(offsetSeconds));

        using var response = await host.Symmetric.RequestTokenAsync(timestamp: timestamp);
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal("4017300", result.ResponseCode);
        Assert.Contains("X-TIMESTAMP", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_issue_when_X_TIMESTAMP_is_inside_the_skew_window_in_another_offset()
    {
        // 4 minutes behind, written in UTC: the offset is honoured, not assumed to be +07:00.
        var timestamp = host.Clock.GetUtcNow().AddMinutes(-4).ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", System.Globalization.CultureInfo.InvariantCulture);

        using var response = await host.Symmetric.RequestTokenAsync(timestamp: timestamp);
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal("2007300", result.ResponseCode);
    }

    [Theory]
    [InlineData("2024-01-22 15:00:01")]
    [InlineData("2024-01-22T15:00:01")]
    [InlineData("yesterday")]
    public async Task Should_refuse_with_4007301_when_X_TIMESTAMP_is_malformed(string timestamp)
    {
        using var response = await host.Symmetric.RequestTokenAsync(timestamp: timestamp);
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("4007301", result.ResponseCode);
        Assert.Contains("X-TIMESTAMP", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-CLIENT-KEY")]
    [InlineData("X-TIMESTAMP")]
    [InlineData("X-SIGNATURE")]
    public async Task Should_refuse_with_4007302_naming_the_header_when_a_mandatory_header_is_missing(string header)
    {
        using var response = await host.Symmetric.RequestTokenAsync(omit: [header]);
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("4007302", result.ResponseCode);
        Assert.Equal($"Invalid Mandatory Field {header}", result.ResponseMessage);
    }

    [Theory]
    [InlineData("{}", "4007302")]
    [InlineData("", "4007302")]
    [InlineData("{\"grantType\":\"password\"}", "4007301")]
    [InlineData("{\"grantType\":1}", "4007301")]
    [InlineData("[1,2]", "4007300")]
    [InlineData("{not json", "4007300")]
    public async Task Should_refuse_when_the_body_is_not_a_client_credentials_grant(string body, string expectedCode)
    {
        using var response = await host.Symmetric.RequestTokenAsync(body: body);
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal(expectedCode, result.ResponseCode);
    }

    [Fact]
    public async Task Should_refuse_with_4007301_when_the_body_is_over_the_size_limit()
    {
        var body = "{\"grantType\":\"client_credentials\",\"additionalInfo\":{\"pad\":\"" + new string('x', 9000) + "\"}}";

        using var response = await host.Symmetric.RequestTokenAsync(body: body);
        var result = await SnapResult.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("4007301", result.ResponseCode);
        Assert.Contains("8192", result.ResponseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_with_a_json_content_type_and_an_X_TIMESTAMP_header()
    {
        using var response = await host.Symmetric.RequestTokenAsync();

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.TryGetValues("X-TIMESTAMP", out var values));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$", Assert.Single(values));
    }
}
