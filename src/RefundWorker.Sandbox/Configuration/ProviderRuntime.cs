using System.Security.Cryptography;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox;

/// <summary>A provider's settings resolved once at start: profile defaults applied, key loaded, paths fixed.</summary>
internal sealed class ProviderRuntime : IDisposable
{
    // RSA instances are not documented as thread-safe; token calls are rare, so one lock per provider is enough.
    private readonly Lock _keyGate = new();
    private readonly RSA _publicKey;

    private ProviderRuntime(string name, string profile, RSA publicKey)
    {
        Name = name;
        Profile = profile;
        _publicKey = publicKey;
    }

    public string Name { get; }

    public string Profile { get; }

    public required string PathPrefix { get; init; }

    public required string ClientId { get; init; }

    public required string ClientSecret { get; init; }

    public required string TokenSeparator { get; init; }

    public required int TokenLifetimeSeconds { get; init; }

    public required TimeSpan TimestampSkew { get; init; }

    public required bool CheckTransactionTimestamp { get; init; }

    public required int ExternalIdMaxLength { get; init; }

    public required bool ExternalIdNumeric { get; init; }

    public required bool RequireOrigin { get; init; }

    public required AmountFormatRule AmountFormat { get; init; }

    public required DuplicateRefundPolicy DuplicateRefund { get; init; }

    public required DuplicateMismatchPolicy DuplicateRefundMismatch { get; init; }

    public required SecondCancelPolicy SecondCancel { get; init; }

    /// <summary>Signed (relative) paths; null when the provider does not serve the operation.</summary>
    public required string TokenPath { get; init; }

    public required string? RefundPath { get; init; }

    public required string? CancelPath { get; init; }

    public required string? QueryPath { get; init; }

    public bool IsNicepay => Profile == SandboxProfiles.Nicepay;

    public bool IsBnc => Profile == SandboxProfiles.Bnc;

    public static ProviderRuntime Resolve(string name, SandboxProviderSettings s)
    {
        string Key(string setting) => $"{SandboxSettings.SectionName}:Providers:{name}:{setting}";

        var profile = (s.Profile ?? name).Trim().ToLowerInvariant();
        if (!SandboxProfiles.Names.Contains(profile))
        {
            throw new SandboxConfigurationException($"{Key("Profile")} is '{profile}'; expected nicepay, bnc or ifortepay.");
        }

        var d = SandboxProfiles.Defaults(profile);
        if (string.IsNullOrWhiteSpace(s.ClientId))
        {
            throw new SandboxConfigurationException($"{Key("ClientId")} is required.");
        }

        if (string.IsNullOrEmpty(s.ClientSecret))
        {
            throw new SandboxConfigurationException($"{Key("ClientSecret")} is required.");
        }

        RSA key;
        try
        {
            if (!string.IsNullOrWhiteSpace(s.PublicKey))
            {
                key = SnapKeys.LoadPublicKey(s.PublicKey, Key("PublicKey"));
            }
            else if (!string.IsNullOrWhiteSpace(s.PublicKeyPath))
            {
                key = SnapKeys.LoadPublicKeyFile(s.PublicKeyPath, Key("PublicKeyPath"));
            }
            else
            {
                throw new SandboxConfigurationException($"{Key("PublicKey")} or {Key("PublicKeyPath")} is required: the merchant's RSA public key verifies token requests.");
            }
        }
        catch (SnapConfigurationException ex)
        {
            throw new SandboxConfigurationException(ex.Message, ex);
        }

        var faultError = s.Faults.Validate();
        if (faultError is not null)
        {
            throw new SandboxConfigurationException($"{Key("Faults")}: {faultError}.");
        }

        var behaviourError = s.Behaviour.Validate();
        if (behaviourError is not null)
        {
            throw new SandboxConfigurationException($"{Key("Behaviour")}: {behaviourError}.");
        }

        var prefix = NormalizePrefix(s.PathPrefix ?? "/" + name);
        var lifetime = s.TokenLifetimeSeconds ?? 900;
        if (lifetime <= 0)
        {
            throw new SandboxConfigurationException($"{Key("TokenLifetimeSeconds")} must be positive.");
        }

        var skew = s.TimestampSkewSeconds ?? 300;
        if (skew < 0)
        {
            throw new SandboxConfigurationException($"{Key("TimestampSkewSeconds")} must not be negative.");
        }

        var maxLength = s.ExternalIdMaxLength ?? d.ExternalIdMaxLength;
        if (maxLength <= 0)
        {
            throw new SandboxConfigurationException($"{Key("ExternalIdMaxLength")} must be positive.");
        }

        return new ProviderRuntime(name, profile, key)
        {
            PathPrefix = prefix,
            ClientId = s.ClientId.Trim(),
            ClientSecret = s.ClientSecret,
            TokenSeparator = s.TokenSeparator ?? "|",
            TokenLifetimeSeconds = lifetime,
            TimestampSkew = TimeSpan.FromSeconds(skew),
            CheckTransactionTimestamp = s.CheckTransactionTimestamp ?? true,
            ExternalIdMaxLength = maxLength,
            ExternalIdNumeric = s.ExternalIdNumeric ?? d.ExternalIdNumeric,
            RequireOrigin = s.RequireOrigin ?? d.RequireOrigin,
            AmountFormat = s.AmountFormat ?? d.AmountFormat,
            DuplicateRefund = s.DuplicateRefund ?? d.DuplicateRefund,
            DuplicateRefundMismatch = s.DuplicateRefundMismatch ?? d.DuplicateRefundMismatch,
            SecondCancel = s.SecondCancel ?? d.SecondCancel,
            TokenPath = Path(s.TokenPath, d.TokenPath) ?? throw new SandboxConfigurationException($"{Key("TokenPath")} cannot be disabled."),
            RefundPath = Path(s.RefundPath, d.RefundPath),
            CancelPath = Path(s.CancelPath, d.CancelPath),
            QueryPath = Path(s.QueryPath, d.QueryPath),
        };
    }

    public bool VerifyTokenSignature(string clientId, string timestamp, string signature)
    {
        lock (_keyGate)
        {
            return SnapSignature.VerifyToken(_publicKey, clientId, timestamp, signature, TokenSeparator);
        }
    }

    public string? PathOf(SandboxOperation operation) => operation switch
    {
        SandboxOperation.Token => TokenPath,
        SandboxOperation.Refund => RefundPath,
        SandboxOperation.Cancel => CancelPath,
        SandboxOperation.Query => QueryPath,
        _ => null,
    };

    public void Dispose() => _publicKey.Dispose();

    private static string? Path(string? configured, string? fallback)
    {
        var value = configured ?? fallback;
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return value.StartsWith('/') ? value : "/" + value;
    }

    private static string NormalizePrefix(string prefix)
    {
        var p = prefix.Trim().TrimEnd('/');
        if (p.Length == 0)
        {
            return string.Empty;
        }

        return p.StartsWith('/') ? p : "/" + p;
    }
}

/// <summary>A sandbox setting is missing or wrong; the message names the key (never key material).</summary>
public sealed class SandboxConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SandboxConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public SandboxConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SandboxConfigurationException()
    {
    }
}
