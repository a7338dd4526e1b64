using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>
/// <c>POST /api/v1.0/access-token/b2b</c> as NICEPAY calls it (docs/protocol.md#cvs-token): X-CLIENT-KEY names the partner,
/// X-SIGNATURE is SHA256withRSA over <c>clientId|X-TIMESTAMP</c> with the partner's private key, checked with its
/// public key from configuration. Answers 2007300 with our own opaque token.
/// </summary>
public sealed class AccessTokenHandler(
    InboundPartnerRegistry partners,
    InboundTokenStore tokens,
    IOptions<InboundOptions> options,
    TimeProvider time,
    ILogger<AccessTokenHandler> logger)
{
    private const int Service = ServiceCodes.Token;

    public async Task<SnapAnswer> HandleAsync(HttpRequest request, CancellationToken ct)
    {
        var settings = options.Value;
        var body = await InboundRequestReader.ReadBodyAsync(request, settings.MaxBodyBytes, ct);
        if (body is null)
        {
            return InboundErrors.InvalidFieldFormat(Service, "body", $"larger than {settings.MaxBodyBytes} bytes");
        }

        var clientKey = InboundRequestReader.Header(request, "X-CLIENT-KEY");
        var timestamp = InboundRequestReader.Header(request, "X-TIMESTAMP");
        var signature = InboundRequestReader.Header(request, "X-SIGNATURE");
        if (clientKey is null)
        {
            return InboundErrors.InvalidMandatoryField(Service, "X-CLIENT-KEY");
        }

        if (timestamp is null)
        {
            return InboundErrors.InvalidMandatoryField(Service, "X-TIMESTAMP");
        }

        if (signature is null)
        {
            return InboundErrors.InvalidMandatoryField(Service, "X-SIGNATURE");
        }

        if (!SnapTimestamp.TryParse(timestamp, out var sentAt))
        {
            return InboundErrors.InvalidFieldFormat(Service, "X-TIMESTAMP", "expected yyyy-MM-ddTHH:mm:ss+07:00");
        }

        // An unknown client goes through the same checks as a known one, against a decoy partner whose key nobody
        // holds: it fails at the signature with the same answer a bad signature gets, after the same RSA work, so
        // the endpoint cannot be used to find out which client ids exist.
        var known = partners.TryGetByClientId(clientKey, out var partner);
        partner ??= partners.Decoy;
        if (InboundClock.OutsideSkew(time, sentAt, partner.Options.TimestampSkewSeconds))
        {
            logger.LogWarning("Inbound token refused for {Partner}: X-TIMESTAMP {Timestamp} outside ±{Skew}s", partner.Name, timestamp, partner.Options.TimestampSkewSeconds);
            return InboundErrors.Unauthorized(Service, $"X-TIMESTAMP is outside the allowed window of {partner.Options.TimestampSkewSeconds} seconds");
        }

        var verified = SnapSignature.VerifyToken(partner.PublicKey, clientKey, timestamp, signature, partner.Options.TokenSeparator);
        if (!known || !verified)
        {
            if (known)
            {
                logger.LogWarning("Inbound token refused for {Partner}: signature does not verify with the configured public key", partner.Name);
            }
            else
            {
                logger.LogWarning("Inbound token refused: unknown X-CLIENT-KEY");
            }

            return InboundErrors.Unauthorized(Service, "Signature invalid");
        }

        var grantError = CheckGrantType(body);
        if (grantError is not null)
        {
            return grantError;
        }

        var lifetime = TimeSpan.FromSeconds(settings.TokenLifetimeSeconds);
        var token = await tokens.IssueAsync(partner, lifetime, ct);
        logger.LogInformation("Inbound token issued to {Partner} for {Seconds}s", partner.Name, settings.TokenLifetimeSeconds);
        var response = new TokenAnswer(
            ResponseCode.Of(200, Service, 0).ToString(),
            "Successful",
            token,
            "Bearer",
            settings.TokenLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new SnapAnswer(200, ResponseCode.Of(200, Service, 0), SnapJson.Serialize(response));
    }

    /// <summary>SNAP's token body is <c>{"grantType":"client_credentials"}</c>; anything else is not this grant.</summary>
    private static SnapAnswer? CheckGrantType(byte[] body)
    {
        if (body.Length == 0)
        {
            return InboundErrors.InvalidMandatoryField(Service, "grantType");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return InboundErrors.BadRequest(Service, "The body must be a JSON object");
            }

            if (!document.RootElement.TryGetProperty("grantType", out var grant) || grant.ValueKind == JsonValueKind.Null
                || (grant.ValueKind == JsonValueKind.String && grant.GetString()!.Length == 0))
            {
                return InboundErrors.InvalidMandatoryField(Service, "grantType");
            }

            return grant.ValueKind == JsonValueKind.String && grant.GetString() == "client_credentials"
                ? null
                : InboundErrors.InvalidFieldFormat(Service, "grantType", "must be client_credentials");
        }
        catch (JsonException)
        {
            return InboundErrors.BadRequest(Service, "The body is not valid JSON");
        }
    }

    /// <summary>SNAP's token answer; expiresIn is a string of seconds (docs/protocol.md#access-token).</summary>
    private sealed record TokenAnswer(string ResponseCode, string ResponseMessage, string AccessToken, string TokenType, string ExpiresIn);
}

/// <summary>Clock checks shared by the inbound endpoints.</summary>
internal static class InboundClock
{
    /// <summary>
    /// True when X-TIMESTAMP is further than <paramref name="skewSeconds"/> from our clock, either way. Answered
    /// 401xx00, not 400xx01: the timestamp is well-formed and signed, but a stale one is how a captured request would
    /// be replayed, so it is an authentication failure. A malformed timestamp is 400xx01.
    /// </summary>
    public static bool OutsideSkew(TimeProvider time, DateTimeOffset sentAt, int skewSeconds)
        => (time.GetUtcNow() - sentAt).Duration() > TimeSpan.FromSeconds(skewSeconds);

    private static readonly TimeSpan Jakarta = TimeSpan.FromHours(7);

    /// <summary>The Jakarta calendar date of <paramref name="instant"/>: SNAP's "same day" for X-EXTERNAL-ID.</summary>
    public static DateOnly JakartaDate(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Jakarta).DateTime);
}
