using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace RefundWorker.Sandbox.Tests.Infrastructure;

/// <summary>A SNAP client for one sandbox provider, signing with <see cref="TestSigner"/>.</summary>
internal sealed class SnapTestClient(HttpClient http, SandboxProviderInfo provider, RSA merchantKey, TimeProvider clock)
{
    private static long s_externalIds = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000);
    private string? _token;

    public SandboxProviderInfo Provider { get; } = provider;

    public static string NewExternalId() => "4" + Interlocked.Increment(ref s_externalIds).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    public Task<SnapAnswer> TokenAsync(TokenOptions? options = null)
    {
        var o = options ?? new TokenOptions();
        var timestamp = o.Timestamp ?? TestSigner.Timestamp(clock.GetUtcNow());
        var clientKey = o.ClientKey ?? Provider.ClientId;
        var signature = o.Signature ?? TestSigner.Token(o.Key ?? merchantKey, clientKey, timestamp, Provider.TokenSeparator);
        var request = new HttpRequestMessage(HttpMethod.Post, Url(Provider.TokenPath))
        {
            Content = new StringContent(o.Body ?? """{"grantType":"client_credentials","additionalInfo":{}}""", Encoding.UTF8, "application/json"),
        };
        Set(request, "X-TIMESTAMP", timestamp, o.Omit);
        Set(request, "X-CLIENT-KEY", clientKey, o.Omit);
        Set(request, "X-SIGNATURE", signature, o.Omit);
        return SendAsync(request);
    }

    public async Task<string> AccessTokenAsync()
    {
        if (_token is not null)
        {
            return _token;
        }

        var answer = await TokenAsync();
        Assert.Equal("2007300", answer.ResponseCode);
        return _token = answer.Get("accessToken")!;
    }

    public void ForgetToken() => _token = null;

    public Task<SnapAnswer> PostAsync(SandboxOperation operation, JsonObject body, CallOptions? options = null)
        => PostAsync(operation, body.ToJsonString(), options);

    public async Task<SnapAnswer> PostAsync(SandboxOperation operation, string body, CallOptions? options = null)
    {
        var o = options ?? new CallOptions();
        var path = operation switch
        {
            SandboxOperation.Refund => Provider.RefundPath,
            SandboxOperation.Cancel => Provider.CancelPath,
            SandboxOperation.Query => Provider.QueryPath,
            _ => Provider.TokenPath,
        } ?? "/v1.0/not-served";
        var token = o.Token ?? await AccessTokenAsync();
        var timestamp = o.Timestamp ?? TestSigner.Timestamp(clock.GetUtcNow());
        var signature = o.Signature ?? TestSigner.Symmetric(o.Secret ?? Provider.ClientSecret, "POST", o.SignedPath ?? path, token, o.SignedBody ?? body, timestamp);
        var request = new HttpRequestMessage(HttpMethod.Post, Url(path))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        Set(request, "Authorization", "Bearer " + token, o.Omit);
        Set(request, "X-TIMESTAMP", timestamp, o.Omit);
        Set(request, "X-SIGNATURE", signature, o.Omit);
        Set(request, "X-PARTNER-ID", o.PartnerId ?? Provider.ClientId, o.Omit);
        Set(request, "X-EXTERNAL-ID", o.ExternalId ?? NewExternalId(), o.Omit);
        Set(request, "CHANNEL-ID", Provider.Profile switch { "nicepay" => Provider.ClientId + "01", "bnc" => "95221", _ => "QR004" }, o.Omit);
        Set(request, "ORIGIN", "www.merchant.example", o.Omit);
        return await SendAsync(request, o.Timeout);
    }

    private Uri Url(string signedPath) => new(Provider.BaseUrl + signedPath);

    private static void Set(HttpRequestMessage request, string name, string value, IReadOnlyCollection<string>? omit)
    {
        if (omit is not null && omit.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        request.Headers.TryAddWithoutValidation(name, value);
    }

    private async Task<SnapAnswer> SendAsync(HttpRequestMessage request, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        using var response = await http.SendAsync(request, cts.Token);
        var raw = await response.Content.ReadAsStringAsync(cts.Token);
        return new SnapAnswer((int)response.StatusCode, raw, response.Headers, response.Content.Headers.ContentType?.MediaType);
    }
}

internal sealed record TokenOptions
{
    public string? Timestamp { get; init; }

    public string? ClientKey { get; init; }

    public string? Signature { get; init; }

    public RSA? Key { get; init; }

    public string? Body { get; init; }

    public IReadOnlyCollection<string>? Omit { get; init; }
}

internal sealed record CallOptions
{
    public string? Token { get; init; }

    public string? Timestamp { get; init; }

    public string? Signature { get; init; }

    public string? Secret { get; init; }

    public string? SignedPath { get; init; }

    public string? SignedBody { get; init; }

    public string? PartnerId { get; init; }

    public string? ExternalId { get; init; }

    public IReadOnlyCollection<string>? Omit { get; init; }

    public TimeSpan? Timeout { get; init; }
}
