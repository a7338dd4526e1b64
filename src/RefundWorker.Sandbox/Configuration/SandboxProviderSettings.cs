namespace RefundWorker.Sandbox;

/// <summary>One emulated provider (<c>Sandbox:Providers:&lt;name&gt;</c>). Unset values take the profile's default.</summary>
public sealed class SandboxProviderSettings
{
    /// <summary><c>nicepay</c>, <c>bnc</c> or <c>ifortepay</c>: which APIs, paths and field tables are served.</summary>
    public string? Profile { get; set; }

    /// <summary>Path prefix the provider is served under; not part of the signed path. Default <c>/&lt;name&gt;</c>.</summary>
    public string? PathPrefix { get; set; }

    /// <summary>The merchant's client id (X-CLIENT-KEY on the token call, X-PARTNER-ID on transactions).</summary>
    public string? ClientId { get; set; }

    /// <summary>The merchant's client secret, the HMAC key of transaction signatures. Sandbox-only values.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The merchant's RSA public key (SPKI PEM or bare base64 DER) verifying token requests.</summary>
    public string? PublicKey { get; set; }

    /// <summary>A file holding <see cref="PublicKey"/>; used when <see cref="PublicKey"/> is empty.</summary>
    public string? PublicKeyPath { get; set; }

    /// <summary>Separator of the token string to sign, <c>clientId + separator + X-TIMESTAMP</c>. Default <c>|</c>.</summary>
    public string? TokenSeparator { get; set; }

    /// <summary>Announced token lifetime (<c>expiresIn</c>). Default 900.</summary>
    public int? TokenLifetimeSeconds { get; set; }

    /// <summary>Largest accepted |X-TIMESTAMP - now|. Default 300.</summary>
    public int? TimestampSkewSeconds { get; set; }

    /// <summary>Whether transaction calls (not only the token call) are held to <see cref="TimestampSkewSeconds"/>. Default true.</summary>
    public bool? CheckTransactionTimestamp { get; set; }

    /// <summary>Maximum X-EXTERNAL-ID length: 40 NICEPAY, 36 the bank and iFortePay.</summary>
    public int? ExternalIdMaxLength { get; set; }

    /// <summary>Whether X-EXTERNAL-ID must be all digits. NICEPAY's own sample uses "EXID…", so false there.</summary>
    public bool? ExternalIdNumeric { get; set; }

    /// <summary>Whether the ORIGIN header is mandatory (the bank's refund, docs/protocol.md#bank-refund).</summary>
    public bool? RequireOrigin { get; set; }

    /// <summary>Accepted <c>refundAmount.value</c> form.</summary>
    public AmountFormatRule? AmountFormat { get; set; }

    /// <summary>Answer to a repeated partnerRefundNo with the same original and amount.</summary>
    public DuplicateRefundPolicy? DuplicateRefund { get; set; }

    /// <summary>Answer to a repeated partnerRefundNo with a different original or amount.</summary>
    public DuplicateMismatchPolicy? DuplicateRefundMismatch { get; set; }

    /// <summary>Answer to a cancel of an already cancelled transaction.</summary>
    public SecondCancelPolicy? SecondCancel { get; set; }

    /// <summary>Path overrides (relative to <see cref="PathPrefix"/>); empty string disables the operation.</summary>
    public string? TokenPath { get; set; }

    /// <inheritdoc cref="TokenPath"/>
    public string? RefundPath { get; set; }

    /// <inheritdoc cref="TokenPath"/>
    public string? CancelPath { get; set; }

    /// <inheritdoc cref="TokenPath"/>
    public string? QueryPath { get; set; }

    /// <summary>Faults in force at start and after a reset.</summary>
    public FaultSettings Faults { get; set; } = new();

    /// <summary>Idempotency and the list of refunds in the status answer, at start and after a reset.</summary>
    public BehaviourSettings Behaviour { get; set; } = new();
}

/// <summary>Form of <c>refundAmount.value</c> accepted (docs/protocol.md#amounts).</summary>
public enum AmountFormatRule
{
    /// <summary><c>"10000.00"</c> only.</summary>
    TwoDecimals,

    /// <summary><c>"10000"</c> only.</summary>
    Integer,

    /// <summary>Either form (the bank's sample sends <c>"1000"</c>, its table does not say).</summary>
    Either,
}

/// <summary>Repeated partnerRefundNo, same content.</summary>
public enum DuplicateRefundPolicy
{
    /// <summary>Answer the first result again (2007800, same referenceNo and refundTime); nothing new is refunded.</summary>
    ReturnOriginal,

    /// <summary>Answer 409xx01 (duplicate partnerRefundNo).</summary>
    Conflict,
}

/// <summary>Repeated partnerRefundNo, different original or amount.</summary>
public enum DuplicateMismatchPolicy
{
    /// <summary>Answer 404xx18 (inconsistent request).</summary>
    Inconsistent,

    /// <summary>Answer 409xx01 (duplicate partnerRefundNo).</summary>
    Conflict,
}

/// <summary>Cancel of an already cancelled transaction.</summary>
public enum SecondCancelPolicy
{
    /// <summary>Answer 2007700 again with the first cancelTime.</summary>
    ReturnOriginal,

    /// <summary>Answer 409xx01.</summary>
    Conflict,

    /// <summary>Answer 403xx15 (transaction not permitted).</summary>
    NotPermitted,
}
