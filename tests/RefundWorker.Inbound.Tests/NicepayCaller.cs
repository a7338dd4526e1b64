using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RefundWorker.Inbound.Tests;

/// <summary>How the test signs the inquiry, mirroring the partner setting.</summary>
public enum Mode
{
    Symmetric,
    ClientIdTimestamp,
    AsymmetricRequest,
}

/// <summary>An HTTP answer with its SNAP fields read out.</summary>
public sealed record SnapResult(HttpStatusCode Status, string Body, string ResponseCode, string ResponseMessage)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public static async Task<SnapResult> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        return new SnapResult(
            response.StatusCode,
            body,
            json.RootElement.GetProperty("responseCode").GetString()!,
            json.RootElement.GetProperty("responseMessage").GetString()!);
    }
}

/// <summary>
/// Calls the host as NICEPAY would, implementing the signatures of docs/protocol.md directly with .NET crypto (not
/// with RefundWorker.Snap), so a mistake shared by the library and the endpoint cannot hide.
/// </summary>
public sealed class NicepayCaller(HttpClient http, TimeProvider clock, string clientId, string partnerId, RSA privateKey, Mode mode, string? clientSecret)
{
    public const string TokenPath = "/api/v1.0/access-token/b2b";
    public const string InquiryPath = "/api/v1.0/cvs/inquiry";
    public const string TokenBody = "{\"grantType\":\"client_credentials\",\"additionalInfo\":{}}";

    public string ClientId => clientId;

    /// <summary>X-TIMESTAMP as NICEPAY writes it: Jakarta time with its offset, second precision.</summary>
    public static string Timestamp(DateTimeOffset instant) => instant.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    public string Now() => Timestamp(clock.GetUtcNow());

    public static string SignRsa(RSA key, string stringToSign)
        => Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(stringToSign), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public async Task<HttpResponseMessage> RequestTokenAsync(
        string? timestamp = null,
        RSA? key = null,
        string? clientKey = null,
        string body = TokenBody,
        IEnumerable<string>? omit = null)
    {
        timestamp ??= Now();
        var request = new HttpRequestMessage(HttpMethod.Post, TokenPath)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        var headers = new Dictionary<string, string>
        {
            ["X-CLIENT-KEY"] = clientKey ?? clientId,
            ["X-TIMESTAMP"] = timestamp,
            ["X-SIGNATURE"] = SignRsa(key ?? privateKey, $"{clientKey ?? clientId}|{timestamp}"),
        };
        foreach (var name in omit ?? [])
        {
            headers.Remove(name);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await http.SendAsync(request);
    }

    /// <summary>A fresh token; fails the test if the host refuses.</summary>
    public async Task<string> TokenAsync()
    {
        using var response = await RequestTokenAsync();
        var result = await SnapResult.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, result.Body);
        return result.Json.GetProperty("accessToken").GetString()!;
    }

    /// <summary>An inquiry with every header set correctly; the test changes what it wants before sending.</summary>
    public InquiryCall Inquiry(string token, InquiryBody body) => new()
    {
        Token = token,
        SignedBody = body.Compact(),
        SentBody = body.Pretty(),
        Timestamp = Now(),
        ExternalId = Ids.Numeric(20),
        PartnerId = partnerId,
        ChannelId = partnerId + "01",
    };

    public async Task<SnapResult> SendAsync(InquiryCall call)
    {
        using var response = await SendRawAsync(call);
        return await SnapResult.ReadAsync(response);
    }

    public async Task<HttpResponseMessage> SendRawAsync(InquiryCall call)
    {
        HttpContent content = call.Chunked
            ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(call.SentBody)))
            : new StringContent(call.SentBody, Encoding.UTF8, "application/json");
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, InquiryPath) { Content = content };
        // Without Content-Length the body goes chunked: the host must stop at its limit while reading.
        request.Headers.TransferEncodingChunked = call.Chunked ? true : null;
        var headers = new Dictionary<string, string>
        {
            ["Authorization"] = "Bearer " + call.Token,
            ["X-TIMESTAMP"] = call.Timestamp,
            ["X-SIGNATURE"] = call.Signature ?? Sign(call),
            ["X-PARTNER-ID"] = call.PartnerId,
            ["X-EXTERNAL-ID"] = call.ExternalId,
            ["CHANNEL-ID"] = call.ChannelId,
        };
        foreach (var name in call.Omit)
        {
            headers.Remove(name);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await http.SendAsync(request);
    }

    /// <summary>The signature NICEPAY computes over the minified body (<see cref="InquiryCall.SignedBody"/>).</summary>
    public string Sign(InquiryCall call)
    {
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(call.SignedBody)));
        return mode switch
        {
            Mode.Symmetric => Convert.ToBase64String(HMACSHA512.HashData(
                Encoding.UTF8.GetBytes(clientSecret!),
                Encoding.UTF8.GetBytes($"POST:{InquiryPath}:{call.Token}:{bodyHash}:{call.Timestamp}"))),
            Mode.ClientIdTimestamp => SignRsa(privateKey, $"{clientId}|{call.Timestamp}"),
            Mode.AsymmetricRequest => SignRsa(privateKey, $"POST:{InquiryPath}:{bodyHash}:{call.Timestamp}"),
            _ => throw new ArgumentOutOfRangeException(nameof(call)),
        };
    }
}

/// <summary>One inquiry request as it will be sent.</summary>
public sealed class InquiryCall
{
    public required string Token { get; set; }

    /// <summary>The minified body the signature covers.</summary>
    public required string SignedBody { get; set; }

    /// <summary>The bytes sent; normally SignedBody with extra whitespace, which the host must minify away.</summary>
    public required string SentBody { get; set; }

    public required string Timestamp { get; set; }

    public required string ExternalId { get; set; }

    public required string PartnerId { get; set; }

    public required string ChannelId { get; set; }

    /// <summary>Set to send this signature instead of the correct one.</summary>
    public string? Signature { get; set; }

    public HashSet<string> Omit { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Send with Transfer-Encoding: chunked and no Content-Length.</summary>
    public bool Chunked { get; set; }

    /// <summary>Sends <paramref name="json"/> exactly (already minified) and signs it.</summary>
    public InquiryCall WithRawBody(string json)
    {
        SignedBody = json;
        SentBody = json;
        return this;
    }
}

/// <summary>The inquiry body NICEPAY sends; defaults are NICEPAY's sample with fresh ids.</summary>
public sealed record InquiryBody(string PartnerServiceId, string CustomerNo, string PayNo, string InquiryRequestId, string MitraCd)
{
    public static InquiryBody For(string payNo, string mitraCd = "ALMA")
        => new(payNo[..4], payNo[4..], payNo, Ids.Numeric(20), mitraCd);

    public string Compact()
        => $"{{\"partnerServiceId\":\"{PartnerServiceId}\",\"customerNo\":\"{CustomerNo}\",\"payNo\":\"{PayNo}\",\"inquiryRequestId\":\"{InquiryRequestId}\",\"mitraCd\":\"{MitraCd}\"}}";

    /// <summary>Same JSON, indented with spaces and newlines outside strings (the signature must still verify).</summary>
    public string Pretty()
        => "{\n  " + Compact()[1..^1].Replace("\":\"", "\": \"", StringComparison.Ordinal).Replace(",\"", ",\n  \"", StringComparison.Ordinal) + "\n}";
}

/// <summary>Random numeric identifiers, unique enough for one test run.</summary>
public static class Ids
{
    public static string Numeric(int length)
    {
        var digits = new char[length];
        digits[0] = (char)('1' + RandomNumberGenerator.GetInt32(9));
        for (var i = 1; i < length; i++)
        {
            digits[i] = (char)('0' + RandomNumberGenerator.GetInt32(10));
        }

        return new string(digits);
    }

    /// <summary>A fresh 12-digit payNo under partnerServiceId 7015, as in NICEPAY's sample.</summary>
    public static string PayNo() => "7015" + Numeric(8);
}
