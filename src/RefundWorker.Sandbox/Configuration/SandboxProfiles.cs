namespace RefundWorker.Sandbox;

/// <summary>
/// What each provider of docs/protocol.md serves, and the defaults a provider of that profile takes. Client ids and
/// channel ids are the ones in the providers' own published samples; secrets are sandbox-only.
/// </summary>
public static class SandboxProfiles
{
    /// <summary>NICEPAY QRIS refund and query (docs/protocol.md#nicepay-refund).</summary>
    public const string Nicepay = "nicepay";

    /// <summary>The bank acquirer's QRIS refund (docs/protocol.md#bank-refund); no query API, ORIGIN mandatory.</summary>
    public const string Bnc = "bnc";

    /// <summary>iFortePay QRIS MPM cancel and query (docs/protocol.md#ifortepay-cancel).</summary>
    public const string Ifortepay = "ifortepay";

    /// <summary>The profile names, in the order they are printed.</summary>
    public static IReadOnlyList<string> Names { get; } = [Nicepay, Bnc, Ifortepay];

    /// <summary>A provider named after its profile, with that profile's default credentials and behaviour.</summary>
    public static SandboxProviderSettings DefaultProvider(string profile) => profile switch
    {
        Nicepay => new SandboxProviderSettings
        {
            Profile = Nicepay,
            ClientId = "IONPAYTEST",
            ClientSecret = "sandbox-nicepay-client-secret",
        },
        Bnc => new SandboxProviderSettings
        {
            Profile = Bnc,
            ClientId = "82150823919040624621823174737537",
            ClientSecret = "sandbox-bnc-client-secret",
        },
        Ifortepay => new SandboxProviderSettings
        {
            Profile = Ifortepay,
            ClientId = "IFP2024067944",
            ClientSecret = "sandbox-ifortepay-client-secret",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "Unknown sandbox profile; expected nicepay, bnc or ifortepay."),
    };

    internal static ProfileDefaults Defaults(string profile) => profile switch
    {
        // NICEPAY signs paths without its /nicepay prefix (docs/protocol.md#signed-path); every official SDK does.
        Nicepay => new ProfileDefaults(
            TokenPath: "/v1.0/access-token/b2b",
            RefundPath: "/api/v1.0/qr/qr-mpm-refund",
            CancelPath: null,
            QueryPath: "/api/v1.0/qr/qr-mpm-query",
            ExternalIdMaxLength: 40,
            ExternalIdNumeric: false,
            RequireOrigin: false,
            AmountFormat: AmountFormatRule.TwoDecimals,
            DuplicateRefund: DuplicateRefundPolicy.ReturnOriginal,
            DuplicateRefundMismatch: DuplicateMismatchPolicy.Inconsistent,
            SecondCancel: SecondCancelPolicy.ReturnOriginal),
        Bnc => new ProfileDefaults(
            TokenPath: "/v1.0/access-token/b2b",
            RefundPath: "/v1.0/qr/qr-mpm-refund",
            CancelPath: null,
            QueryPath: null,
            ExternalIdMaxLength: 36,
            ExternalIdNumeric: true,
            RequireOrigin: true,
            AmountFormat: AmountFormatRule.Either,
            DuplicateRefund: DuplicateRefundPolicy.Conflict,
            DuplicateRefundMismatch: DuplicateMismatchPolicy.Conflict,
            SecondCancel: SecondCancelPolicy.ReturnOriginal),
        Ifortepay => new ProfileDefaults(
            TokenPath: "/v1.0/access-token/b2b",
            RefundPath: null,
            CancelPath: "/v1.0/qr/qr-mpm-cancel",
            QueryPath: "/v1.0/qr/qr-mpm-query",
            ExternalIdMaxLength: 36,
            ExternalIdNumeric: true,
            RequireOrigin: false,
            AmountFormat: AmountFormatRule.TwoDecimals,
            DuplicateRefund: DuplicateRefundPolicy.ReturnOriginal,
            DuplicateRefundMismatch: DuplicateMismatchPolicy.Inconsistent,
            SecondCancel: SecondCancelPolicy.ReturnOriginal),
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "Unknown sandbox profile; expected nicepay, bnc or ifortepay."),
    };

    internal sealed record ProfileDefaults(
        string TokenPath,
        string? RefundPath,
        string? CancelPath,
        string? QueryPath,
        int ExternalIdMaxLength,
        bool ExternalIdNumeric,
        bool RequireOrigin,
        AmountFormatRule AmountFormat,
        DuplicateRefundPolicy DuplicateRefund,
        DuplicateMismatchPolicy DuplicateRefundMismatch,
        SecondCancelPolicy SecondCancel);
}
