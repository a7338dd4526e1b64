using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>
/// <c>POST /api/v1.0/cvs/inquiry</c> (docs/protocol.md#cvs-inquiry): NICEPAY asks for a payment code's data before the
/// customer pays it at a store. Checks run cheapest and most basic first: body size, token, headers, clock, partner,
/// signature, body fields; only then does the request touch the payment-code tables.
/// </summary>
public sealed class CvsInquiryHandler(
    InboundPartnerRegistry partners,
    InboundTokenStore tokens,
    CvsInquiryStore inquiries,
    IOptions<InboundOptions> options,
    TimeProvider time,
    ILogger<CvsInquiryHandler> logger)
{
    /// <summary>The route, and the path the partner signs (behind <see cref="InboundPartnerOptions.SignedPathPrefix"/>).</summary>
    public const string Path = "/api/v1.0/cvs/inquiry";

    // ASPI's service code for the VA/payment-code inquiry; see InboundErrors for why refusals carry it.
    private const int Service = ServiceCodes.CvsInquiry;

    // SNAP's X-EXTERNAL-ID is a numeric string of up to 36 (ASPI) or 40 (NICEPAY) characters; letters are tolerated
    // because NICEPAY's page only says "reference number", but nothing that could smuggle separators into logs or keys.
    private const int ExternalIdMaxLength = 40;
    private const int ChannelIdMaxLength = 40;

    public async Task<SnapAnswer> HandleAsync(HttpRequest request, CancellationToken ct)
    {
        var settings = options.Value;
        var body = await InboundRequestReader.ReadBodyAsync(request, settings.MaxBodyBytes, ct);
        if (body is null)
        {
            return InboundErrors.InvalidFieldFormat(Service, "body", $"larger than {settings.MaxBodyBytes} bytes");
        }

        // Token first: without a valid token nothing else about the request is worth a detailed answer.
        var token = InboundRequestReader.BearerToken(request);
        var partnerName = token is null ? null : await tokens.FindPartnerAsync(token, ct);
        if (token is null || partnerName is null || !partners.TryGetByName(partnerName, out var partner))
        {
            // A token of a partner since removed from configuration is as invalid as an unknown one.
            logger.LogWarning("Inbound inquiry refused: missing, unknown or expired bearer token");
            return InboundErrors.InvalidToken(Service);
        }

        var timestamp = InboundRequestReader.Header(request, "X-TIMESTAMP");
        var signature = InboundRequestReader.Header(request, "X-SIGNATURE");
        var partnerId = InboundRequestReader.Header(request, "X-PARTNER-ID");
        var externalId = InboundRequestReader.Header(request, "X-EXTERNAL-ID");
        var channelId = InboundRequestReader.Header(request, "CHANNEL-ID");
        var missing = timestamp is null ? "X-TIMESTAMP"
            : signature is null ? "X-SIGNATURE"
            : partnerId is null ? "X-PARTNER-ID"
            : externalId is null ? "X-EXTERNAL-ID"
            : channelId is null ? "CHANNEL-ID"
            : null;
        if (missing is not null)
        {
            return InboundErrors.InvalidMandatoryField(Service, missing);
        }

        if (!SnapTimestamp.TryParse(timestamp, out var sentAt))
        {
            return InboundErrors.InvalidFieldFormat(Service, "X-TIMESTAMP", "expected yyyy-MM-ddTHH:mm:ss+07:00");
        }

        if (externalId!.Length > ExternalIdMaxLength || !externalId.All(char.IsAsciiLetterOrDigit))
        {
            return InboundErrors.InvalidFieldFormat(Service, "X-EXTERNAL-ID", $"letters and digits only, at most {ExternalIdMaxLength} characters");
        }

        if (channelId!.Length > ChannelIdMaxLength)
        {
            return InboundErrors.InvalidFieldFormat(Service, "CHANNEL-ID", $"longer than {ChannelIdMaxLength} characters");
        }

        var partnerOptions = partner.Options;
        if (InboundClock.OutsideSkew(time, sentAt, partnerOptions.TimestampSkewSeconds))
        {
            logger.LogWarning("Inbound inquiry refused for {Partner}: X-TIMESTAMP {Timestamp} outside ±{Skew}s", partner.Name, timestamp, partnerOptions.TimestampSkewSeconds);
            return InboundErrors.Unauthorized(Service, $"X-TIMESTAMP is outside the allowed window of {partnerOptions.TimestampSkewSeconds} seconds");
        }

        if (!string.Equals(partnerId, partnerOptions.EffectivePartnerId, StringComparison.Ordinal))
        {
            logger.LogWarning("Inbound inquiry refused for {Partner}: X-PARTNER-ID does not match the token's partner", partner.Name);
            return InboundErrors.Unauthorized(Service, "X-PARTNER-ID does not match the partner of the access token");
        }

        if (!VerifySignature(partner, token, timestamp!, signature!, body))
        {
            logger.LogWarning("Inbound inquiry refused for {Partner}: signature invalid (mode {Mode})", partner.Name, partnerOptions.SignatureMode);
            return InboundErrors.Unauthorized(Service, "Signature invalid");
        }

        var (inquiry, fieldError) = CvsInquiryRequestParser.Parse(body);
        if (inquiry is null)
        {
            return fieldError!;
        }

        var answer = await inquiries.AnswerAsync(partner, externalId, inquiry, ct);
        logger.LogInformation(
            "Inbound inquiry {InquiryRequestId} from {Partner} for payNo {PayNo} answered {ResponseCode}",
            inquiry.InquiryRequestId,
            partner.Name,
            inquiry.PayNo,
            answer.Code.ToString());
        return answer;
    }

    private static bool VerifySignature(InboundPartner partner, string token, string timestamp, string signature, byte[] body)
    {
        var options = partner.Options;
        // The partner signs the body it sent minus insignificant whitespace (docs/protocol.md#minified-body): minify exactly what arrived.
        var minified = JsonMinifier.Minify(body);
        var path = options.SignedPathPrefix + Path;
        return options.SignatureMode switch
        {
            // HMAC compared in constant time by SnapSignature.VerifySymmetric.
            InboundSignatureMode.Symmetric => SnapSignature.VerifySymmetric(options.ClientSecret, "POST", path, token, minified, timestamp, signature),
            // RSA verification recomputes nothing secret to compare against, so it has no timing side channel to close.
            InboundSignatureMode.AsymmetricClientIdTimestamp => SnapSignature.VerifyToken(partner.PublicKey, options.ClientId, timestamp, signature, options.TokenSeparator),
            InboundSignatureMode.AsymmetricRequest => SnapSignature.VerifyAsymmetric(partner.PublicKey, "POST", path, minified, timestamp, signature),
            _ => false,
        };
    }
}
