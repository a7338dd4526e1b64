using Microsoft.Extensions.Options;
using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>
/// Checks <see cref="InboundOptions"/> at start (ValidateOnStart). Every message names the configuration key, and
/// the partner's public key is loaded here so a broken key stops the host instead of failing NICEPAY's first call.
/// </summary>
public sealed class InboundOptionsValidator : IValidateOptions<InboundOptions>
{
    public ValidateOptionsResult Validate(string? name, InboundOptions options)
    {
        var errors = new List<string>();
        const string root = InboundOptions.SectionName;

        if (options.MaxBodyBytes is < 512 or > 1024 * 1024)
        {
            errors.Add($"{root}:MaxBodyBytes must be between 512 and 1048576 (got {options.MaxBodyBytes}).");
        }

        if (options.TokenLifetimeSeconds is < 60 or > 86_400)
        {
            errors.Add($"{root}:TokenLifetimeSeconds must be between 60 and 86400 (got {options.TokenLifetimeSeconds}).");
        }

        if (options.MaxDatabaseConnections is < 1 or > 1000)
        {
            errors.Add($"{root}:MaxDatabaseConnections must be between 1 and 1000 (got {options.MaxDatabaseConnections}).");
        }

        if (options.RateLimits.PartnerPermitsPerSecond < 1 || options.RateLimits.UnauthenticatedPermitsPerSecond < 1)
        {
            errors.Add($"{root}:RateLimits:PartnerPermitsPerSecond and {root}:RateLimits:UnauthenticatedPermitsPerSecond must be at least 1.");
        }

        if (options.Retention.Days < 0 || options.Retention.BatchSize < 1 || options.Retention.Interval <= TimeSpan.Zero)
        {
            errors.Add($"{root}:Retention:Days must be 0 (off) or more, {root}:Retention:BatchSize at least 1 and {root}:Retention:Interval positive.");
        }

        var clientIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (partnerName, partner) in options.Partners)
        {
            var key = $"{root}:Partners:{partnerName}";
            if (partner is null)
            {
                errors.Add($"{key} is empty.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(partner.ClientId))
            {
                errors.Add($"{key}:ClientId is required.");
            }
            else if (!clientIds.TryAdd(partner.ClientId, partnerName))
            {
                errors.Add($"{key}:ClientId is also the ClientId of {root}:Partners:{clientIds[partner.ClientId]}; X-CLIENT-KEY must name one partner.");
            }

            if (!Enum.IsDefined(partner.SignatureMode))
            {
                errors.Add($"{key}:SignatureMode must be one of {string.Join(", ", Enum.GetNames<InboundSignatureMode>())}.");
            }

            if (partner.SignatureMode == InboundSignatureMode.Symmetric && string.IsNullOrEmpty(partner.ClientSecret))
            {
                errors.Add($"{key}:ClientSecret is required when {key}:SignatureMode is Symmetric (it is the HMAC key).");
            }

            if (partner.TimestampSkewSeconds is < 1 or > 3600)
            {
                errors.Add($"{key}:TimestampSkewSeconds must be between 1 and 3600 (got {partner.TimestampSkewSeconds}).");
            }

            if (string.IsNullOrEmpty(partner.TokenSeparator))
            {
                errors.Add($"{key}:TokenSeparator must not be empty.");
            }

            if (partner.SignedPathPrefix.Length > 0 && (partner.SignedPathPrefix[0] != '/' || partner.SignedPathPrefix[^1] == '/'))
            {
                errors.Add($"{key}:SignedPathPrefix must start with '/' and not end with '/' (e.g. /refundworker), or be empty.");
            }

            var hasPath = !string.IsNullOrWhiteSpace(partner.PublicKeyPath);
            var hasInline = !string.IsNullOrWhiteSpace(partner.PublicKey);
            if (hasPath == hasInline)
            {
                errors.Add($"{key}: set exactly one of {key}:PublicKeyPath or {key}:PublicKey (the partner's RSA public key verifies its token requests).");
            }
            else
            {
                try
                {
                    using var rsa = InboundPartnerRegistry.LoadPublicKey(key, partner);
                }
                catch (SnapConfigurationException ex)
                {
                    // The message names the setting and never carries key material (SnapKeys' contract).
                    errors.Add(ex.Message);
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
