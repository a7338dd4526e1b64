namespace RefundWorker.Snap;

/// <summary>The <c>Snap</c> configuration section.</summary>
public sealed class SnapOptions
{
    public const string SectionName = "Snap";

    /// <summary><c>Snap:Providers:&lt;name&gt;:…</c>; the name is how messages and the database refer to a provider.</summary>
    public Dictionary<string, SnapProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <c>Snap:NodeId</c>: this replica's identity in X-EXTERNAL-ID (digits are used as they are, anything else,
    /// such as a pod name, is hashed). Unset: host name and process id. The worker host sets it from its
    /// <c>Worker:NodeId</c>, which names the replica in leases too, and reads this key only as that one's alias.
    /// </summary>
    public string? NodeId { get; set; }
}

/// <summary>One provider: <c>Snap:Providers:&lt;name&gt;</c>. Defaults come from <see cref="ProviderProfile"/>.</summary>
public sealed class SnapProviderOptions
{
    /// <summary><c>nicepay</c>, <c>bnc</c> or <c>ifortepay</c>.</summary>
    public string? Profile { get; set; }

    /// <summary>API base; may carry a path prefix that is not signed (NICEPAY's <c>/nicepay</c>).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Token host when it differs from the API host (iFortePay).</summary>
    public string? TokenBaseUrl { get; set; }

    /// <summary>Our client id at the provider: X-CLIENT-KEY, and X-PARTNER-ID unless <see cref="PartnerId"/> is set.</summary>
    public string? ClientId { get; set; }

    /// <summary>HMAC key of the symmetric transaction signature. Secret: never logged.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>File holding our RSA private key (PEM or base64 DER). Either this or <see cref="PrivateKey"/>.</summary>
    public string? PrivateKeyPath { get; set; }

    /// <summary>Our RSA private key inline (PEM or base64 DER). Secret: never logged.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>CHANNEL-ID; the profile's default when unset.</summary>
    public string? ChannelId { get; set; }

    /// <summary>ORIGIN header; mandatory for the bank profile.</summary>
    public string? Origin { get; set; }

    /// <summary>X-PARTNER-ID; defaults to <see cref="ClientId"/>.</summary>
    public string? PartnerId { get; set; }

    /// <summary>Per-call timeout; a call that exceeds it is outcome-unknown.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Separator in the token string to sign; default <c>|</c> (one iFortePay page writes <c>:</c>).</summary>
    public string? TokenSeparator { get; set; }

    public string? TokenPath { get; set; }

    public string? RefundPath { get; set; }

    public string? CancelPath { get; set; }

    public string? QueryPath { get; set; }

    /// <summary>
    /// The part of the request path that is not signed. Default: the path of <see cref="BaseUrl"/>
    /// (<c>https://host/nicepay</c> → requests go to <c>/nicepay/api/…</c>, signed as <c>/api/…</c>).
    /// Set to <c>/</c> to sign the full path.
    /// </summary>
    public string? SignedPathPrefixToStrip { get; set; }

    /// <summary><c>TwoDecimals</c> (<c>"10000.00"</c>) or <c>Integer</c> (<c>"10000"</c>); the profile's default when unset.</summary>
    public AmountFormat? AmountFormat { get; set; }

    /// <summary>Maximum X-EXTERNAL-ID length; the profile's default when unset.</summary>
    public int? ExternalIdMaxLength { get; set; }

    /// <summary>Name of the list of refunds in the status answer; the profile's default (<c>refundHistory</c>) when unset.</summary>
    public string? RefundListField { get; set; }
}
