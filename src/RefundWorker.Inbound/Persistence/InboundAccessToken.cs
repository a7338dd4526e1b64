namespace RefundWorker.Inbound.Persistence;

/// <summary>
/// A bearer token we issued to a partner. Only the SHA-256 of the token is kept: a database dump does not
/// yield usable tokens, and every replica can validate a token another replica issued.
/// </summary>
public sealed class InboundAccessToken
{
    /// <summary>SHA-256 of the token's UTF-8 bytes. The token is 256 random bits, so an unsalted hash is enough.</summary>
    public required byte[] TokenHash { get; init; }

    public required string PartnerName { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }
}
