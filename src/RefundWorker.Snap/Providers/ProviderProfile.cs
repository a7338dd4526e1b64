namespace RefundWorker.Snap;

/// <summary>
/// What differs between providers beyond credentials: paths, header and field quirks (docs/protocol.md).
/// Every value can be overridden in <see cref="SnapProviderOptions"/>.
/// </summary>
public sealed record ProviderProfile
{
    public const string Nicepay = "nicepay";
    public const string Bnc = "bnc";
    public const string IFortePay = "ifortepay";

    public required string Name { get; init; }

    public string TokenPath { get; init; } = "/v1.0/access-token/b2b";

    public string? RefundPath { get; init; }

    public string? CancelPath { get; init; }

    public string? QueryPath { get; init; }

    public bool HasQuery => QueryPath is not null;

    public bool HasRefund => RefundPath is not null;

    public bool HasCancel => CancelPath is not null;

    public required int ExternalIdMaxLength { get; init; }

    /// <summary>The bank's refund table marks ORIGIN mandatory (docs/protocol.md#bank-refund).</summary>
    public bool OriginRequired { get; init; }

    public AmountFormat AmountFormat { get; init; } = AmountFormat.TwoDecimals;

    /// <summary>
    /// Name of the list of refunds in the status answer. SNAP calls it <c>refundHistory</c>; NICEPAY documents no
    /// list at all (then the answer simply has none), and a provider that lists refunds under another name is
    /// configured with its name.
    /// </summary>
    public string RefundListField { get; init; } = QueryResponse.RefundHistoryField;

    /// <summary>CHANNEL-ID when none is configured; <c>null</c> means derive it from the client id (NICEPAY).</summary>
    public string? DefaultChannelId { get; init; }

    /// <summary>The CHANNEL-ID for <paramref name="clientId"/> when none is configured.</summary>
    public string ChannelIdFor(string clientId) => DefaultChannelId ?? clientId + "01";

    /// <summary>The known profile names.</summary>
    public static IReadOnlyList<string> Names { get; } = [Nicepay, Bnc, IFortePay];

    /// <summary>The defaults of a profile; throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public static ProviderProfile For(string profile)
        => TryFor(profile, out var result)
            ? result
            : throw new ArgumentException($"Unknown SNAP provider profile '{profile}'; expected one of {string.Join(", ", Names)}.", nameof(profile));

    /// <summary>The defaults of a profile, if the name is known (case-insensitive).</summary>
    public static bool TryFor(string? profile, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProviderProfile? result)
    {
        result = profile?.Trim().ToLowerInvariant() switch
        {
            // NICEPAY (docs/protocol.md#nicepay-refund): SDKs sign /api/v1.0/…, the URL carries /nicepay; CHANNEL-ID is the
            // client id + "01" (IONPAYTEST01); X-EXTERNAL-ID up to 40.
            Nicepay => new ProviderProfile
            {
                Name = Nicepay,
                RefundPath = "/api/v1.0/qr/qr-mpm-refund",
                QueryPath = "/api/v1.0/qr/qr-mpm-query",
                ExternalIdMaxLength = 40,
            },

            // The bank acquirer (docs/protocol.md#bank-refund): endpoint blank in its table; its public docs use
            // /v1.0/qr/qr-mpm-refund; ORIGIN mandatory; CHANNEL-ID 95221 in its sample; no status query.
            Bnc => new ProviderProfile
            {
                Name = Bnc,
                RefundPath = "/v1.0/qr/qr-mpm-refund",
                ExternalIdMaxLength = 36,
                OriginRequired = true,
                DefaultChannelId = "95221",
            },

            // iFortePay (docs/protocol.md#ifortepay-cancel): cancel (NOBU dynamic QRIS), query; CHANNEL-ID QR004;
            // the token host may differ (TokenBaseUrl).
            IFortePay => new ProviderProfile
            {
                Name = IFortePay,
                CancelPath = "/v1.0/qr/qr-mpm-cancel",
                QueryPath = "/v1.0/qr/qr-mpm-query",
                ExternalIdMaxLength = 36,
                DefaultChannelId = "QR004",
            },
            _ => null,
        };
        return result is not null;
    }
}
