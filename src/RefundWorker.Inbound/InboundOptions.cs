namespace RefundWorker.Inbound;

/// <summary>
/// Settings of the SNAP endpoints NICEPAY calls (docs/protocol.md#cvs-inquiry), bound from <c>Inbound</c>.
/// Each partner is <c>Inbound:Partners:&lt;name&gt;</c>; the name is ours (logs, database rows), the ClientId is
/// what the partner sends as X-CLIENT-KEY.
/// </summary>
public sealed class InboundOptions
{
    public const string SectionName = "Inbound";

    /// <summary>Partners allowed to call, by our name for them (e.g. <c>nicepay</c>).</summary>
    public Dictionary<string, InboundPartnerOptions> Partners { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Largest request body read, in bytes. An inquiry body is ~150 bytes; 8 KiB leaves room for additionalInfo
    /// while keeping an unauthenticated caller from making us buffer megabytes.
    /// </summary>
    public int MaxBodyBytes { get; init; } = 8 * 1024;

    /// <summary>Lifetime of the bearer tokens we issue. 900 s is SNAP's usual value and what NICEPAY expects.</summary>
    public int TokenLifetimeSeconds { get; init; } = 900;

    /// <summary>
    /// Most PostgreSQL connections the inbound endpoints and payment-code consumers hold at once: their own pool,
    /// apart from the refund pipeline's, so a flood of inquiries waits for these and never takes the pipeline's.
    /// </summary>
    public int MaxDatabaseConnections { get; init; } = 10;

    /// <summary>Requests per second per partner and for callers not recognised as one.</summary>
    public InboundRateLimitOptions RateLimits { get; init; } = new();

    /// <summary>How long inquiries and payment codes (customer names, phones, emails) are kept.</summary>
    public InboundRetentionOptions Retention { get; init; } = new();
}

/// <summary>
/// <c>Inbound:RateLimits</c>. A request counts against its partner when it names a configured one (X-CLIENT-KEY on
/// the token endpoint, X-PARTNER-ID on inquiries), otherwise against one budget shared by every other caller. A
/// request over its budget is answered 429 before it reaches PostgreSQL.
/// </summary>
public sealed class InboundRateLimitOptions
{
    /// <summary>Requests per second for each configured partner.</summary>
    public int PartnerPermitsPerSecond { get; init; } = 100;

    /// <summary>Requests per second for all callers that name no configured partner, together.</summary>
    public int UnauthenticatedPermitsPerSecond { get; init; } = 10;
}

/// <summary>
/// <c>Inbound:Retention</c>. Payment codes are deleted <see cref="Days"/> after they expire, inquiries
/// <see cref="Days"/> after they were answered once no kept payment code has their payNo, closures with their code.
/// </summary>
public sealed class InboundRetentionOptions
{
    /// <summary>Days kept after expiry (payment codes) or after the answer (inquiries). 0 turns the job off.</summary>
    public int Days { get; init; } = 90;

    /// <summary>How often the job runs.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Rows per DELETE: short statements, so the job never holds many row locks or a long transaction.</summary>
    public int BatchSize { get; init; } = 1000;
}

/// <summary>One partner (NICEPAY) that may ask for tokens and make inquiries.</summary>
public sealed class InboundPartnerOptions
{
    /// <summary>The client id we gave the partner; it arrives as X-CLIENT-KEY and is signed into the token request.</summary>
    public string ClientId { get; init; } = "";

    /// <summary>The client secret we gave the partner: the HMAC key of <see cref="InboundSignatureMode.Symmetric"/>.</summary>
    public string ClientSecret { get; init; } = "";

    /// <summary>
    /// The X-PARTNER-ID the partner sends on inquiries. NICEPAY's example is the merchant id (IONPAYTEST); when
    /// unset it must equal <see cref="ClientId"/>.
    /// </summary>
    public string? PartnerId { get; init; }

    /// <summary>Path of the partner's RSA public key (SPKI PEM, bare base64 DER or a certificate).</summary>
    public string? PublicKeyPath { get; init; }

    /// <summary>The partner's RSA public key inline, when not given as a file.</summary>
    public string? PublicKey { get; init; }

    /// <summary>How the inquiry's X-SIGNATURE is computed; NICEPAY's page is ambiguous, see <see cref="InboundSignatureMode"/>.</summary>
    public InboundSignatureMode SignatureMode { get; init; } = InboundSignatureMode.Symmetric;

    /// <summary>How far X-TIMESTAMP may be from our clock, either way. It bounds how long a captured request can be replayed.</summary>
    public int TimestampSkewSeconds { get; init; } = 300;

    /// <summary>
    /// Prefix of the public URL path in front of this host (e.g. <c>/refundworker</c> behind a reverse proxy):
    /// the partner signs the path it calls, so the prefix belongs in the string we verify.
    /// </summary>
    public string SignedPathPrefix { get; init; } = "";

    /// <summary>Separator in the token string to sign (<c>clientId|timestamp</c>), kept configurable as for outgoing providers.</summary>
    public string TokenSeparator { get; init; } = "|";

    /// <summary>PartnerId or, when unset, ClientId.</summary>
    public string EffectivePartnerId => string.IsNullOrEmpty(PartnerId) ? ClientId : PartnerId;
}

/// <summary>
/// How the inquiry's X-SIGNATURE is checked (docs/protocol.md#cvs-signature-modes). NICEPAY's page describes SHA256withRSA over
/// <c>clientId|X-TIMESTAMP</c> (probably copied from the token page), while the SNAP norm for transaction calls
/// is the symmetric HMAC. Unconfirmed, so it is a per-partner setting.
/// </summary>
public enum InboundSignatureMode
{
    /// <summary>
    /// SNAP norm (docs/protocol.md#transaction-signature): base64 HMAC-SHA512 with the partner's ClientSecret over
    /// <c>POST:/api/v1.0/cvs/inquiry:accessToken:sha256hex(minifiedBody):X-TIMESTAMP</c>. Binds body and token.
    /// </summary>
    Symmetric = 0,

    /// <summary>
    /// NICEPAY's literal text: base64 SHA256withRSA with the partner's private key over
    /// <c>clientId|X-TIMESTAMP</c>, verified with its public key. It does not cover the body, so within the skew
    /// window a captured signature fits any body: only the timestamp window limits replay.
    /// </summary>
    AsymmetricClientIdTimestamp = 1,

    /// <summary>
    /// SNAP's asymmetric transaction signature (docs/protocol.md#asymmetric-signature): SHA256withRSA over
    /// <c>POST:/api/v1.0/cvs/inquiry:sha256hex(minifiedBody):X-TIMESTAMP</c>, as some providers sign notifications.
    /// </summary>
    AsymmetricRequest = 2,
}
