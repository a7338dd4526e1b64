using System.Security.Cryptography;

namespace RefundWorker.Snap;

/// <summary>A provider URL and the path that goes into the signature for it.</summary>
/// <param name="Url">Where the request is sent.</param>
/// <param name="SignedPath">The relativePath of the string to sign (docs/protocol.md#signed-path).</param>
public sealed record SnapEndpoint(Uri Url, string SignedPath);

/// <summary>
/// A provider resolved and checked at start: key loaded, URLs parsed, defaults applied. Everything the hot path
/// needs is computed once here.
/// </summary>
public sealed class SnapProvider
{
    private SnapProvider(string name, SnapProviderOptions options, ProviderProfile profile, RSA privateKey)
    {
        Name = name;
        Options = options;
        Profile = profile;
        PrivateKey = privateKey;
    }

    public string Name { get; }

    public SnapProviderOptions Options { get; }

    public ProviderProfile Profile { get; }

    /// <summary>Our private key for this provider (token signature). Never logged.</summary>
    public RSA PrivateKey { get; }

    public string ClientId { get; private init; } = "";

    /// <summary>HMAC key of the transaction signature. Never logged.</summary>
    public string ClientSecret { get; private init; } = "";

    /// <summary>X-PARTNER-ID.</summary>
    public string PartnerId { get; private init; } = "";

    /// <summary>CHANNEL-ID.</summary>
    public string ChannelId { get; private init; } = "";

    /// <summary>ORIGIN, when configured.</summary>
    public string? Origin { get; private init; }

    public string TokenSeparator { get; private init; } = "|";

    public TimeSpan Timeout { get; private init; }

    public AmountFormat AmountFormat { get; private init; }

    public int ExternalIdMaxLength { get; private init; }

    /// <summary>Name of the list of refunds in the status answer (<see cref="ProviderProfile.RefundListField"/>).</summary>
    public string RefundListField { get; private init; } = QueryResponse.RefundHistoryField;

    public SnapEndpoint TokenEndpoint { get; private init; } = null!;

    public SnapEndpoint? RefundEndpoint { get; private init; }

    public SnapEndpoint? CancelEndpoint { get; private init; }

    public SnapEndpoint? QueryEndpoint { get; private init; }

    /// <summary>The configuration key of a setting of this provider, e.g. <c>Snap:Providers:nicepay:PrivateKey</c>.</summary>
    public static string SettingKey(string name, string setting) => $"{SnapOptions.SectionName}:Providers:{name}:{setting}";

    /// <summary>Resolves a provider; throws <see cref="SnapConfigurationException"/> listing every problem.</summary>
    public static SnapProvider Create(string name, SnapProviderOptions options)
    {
        var errors = new List<string>();
        var provider = TryCreate(name, options, errors);
        if (provider is null)
        {
            throw new SnapConfigurationException(string.Join(Environment.NewLine, errors))
            {
                SettingName = SettingKey(name, ""),
            };
        }

        return provider;
    }

    /// <summary>Resolves a provider, adding one message per problem (each naming its key) to <paramref name="errors"/>.</summary>
    public static SnapProvider? TryCreate(string name, SnapProviderOptions options, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        string Key(string setting) => SettingKey(name, setting);

        if (!ProviderProfile.TryFor(options.Profile, out var profile))
        {
            errors.Add($"{Key("Profile")} must be one of {string.Join(", ", ProviderProfile.Names)} (was '{options.Profile}').");
        }

        var baseUrl = ParseBaseUrl(options.BaseUrl, Key("BaseUrl"), mandatory: true, errors);
        var tokenBaseUrl = ParseBaseUrl(options.TokenBaseUrl, Key("TokenBaseUrl"), mandatory: false, errors) ?? baseUrl;

        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            errors.Add($"{Key("ClientId")} is mandatory.");
        }

        if (string.IsNullOrEmpty(options.ClientSecret))
        {
            errors.Add($"{Key("ClientSecret")} is mandatory (HMAC key of the transaction signature).");
        }

        if (options.TimeoutSeconds is <= 0 or > 300)
        {
            errors.Add($"{Key("TimeoutSeconds")} must be between 1 and 300 (was {options.TimeoutSeconds}).");
        }

        if (options.TokenSeparator is { Length: 0 })
        {
            errors.Add($"{Key("TokenSeparator")} must not be empty; leave it unset for the default '|'.");
        }

        if (options.ExternalIdMaxLength is < ExternalIdGenerator.MinimumLength)
        {
            errors.Add($"{Key("ExternalIdMaxLength")} must be at least {ExternalIdGenerator.MinimumLength} (was {options.ExternalIdMaxLength}).");
        }

        if (options.RefundListField is { } listField && string.IsNullOrWhiteSpace(listField))
        {
            errors.Add($"{Key("RefundListField")} must not be empty; leave it unset for the default '{QueryResponse.RefundHistoryField}'.");
        }

        if (profile is { OriginRequired: true } && string.IsNullOrWhiteSpace(options.Origin))
        {
            errors.Add($"{Key("Origin")} is mandatory for the {profile.Name} profile (ORIGIN header).");
        }

        foreach (var (setting, value) in new[]
                 {
                     ("TokenPath", options.TokenPath), ("RefundPath", options.RefundPath), ("CancelPath", options.CancelPath),
                     ("QueryPath", options.QueryPath), ("SignedPathPrefixToStrip", options.SignedPathPrefixToStrip),
                 })
        {
            if (value is not null && !value.StartsWith('/'))
            {
                errors.Add($"{Key(setting)} must be a path starting with '/' (was '{value}').");
            }
        }

        RSA? key = null;
        var hasInline = !string.IsNullOrWhiteSpace(options.PrivateKey);
        var hasPath = !string.IsNullOrWhiteSpace(options.PrivateKeyPath);
        if (hasInline && hasPath)
        {
            errors.Add($"{Key("PrivateKey")} and {Key("PrivateKeyPath")} are both set; set only one.");
        }
        else if (!hasInline && !hasPath)
        {
            errors.Add($"{Key("PrivateKeyPath")} or {Key("PrivateKey")} is mandatory (RSA key of the token signature).");
        }
        else
        {
            try
            {
                key = hasInline
                    ? SnapKeys.LoadPrivateKey(options.PrivateKey!, Key("PrivateKey"))
                    : SnapKeys.LoadPrivateKeyFile(options.PrivateKeyPath!, Key("PrivateKeyPath"));
            }
            catch (SnapConfigurationException ex)
            {
                errors.Add(ex.Message);
            }
        }

        if (errors.Count > before || profile is null || baseUrl is null || tokenBaseUrl is null || key is null)
        {
            key?.Dispose();
            return null;
        }

        var clientId = options.ClientId!.Trim();
        var apiPrefix = baseUrl.AbsolutePath.TrimEnd('/');
        var strip = options.SignedPathPrefixToStrip?.TrimEnd('/') ?? apiPrefix;

        SnapEndpoint? Endpoint(Uri root, string? path, string prefixToStrip)
        {
            if (path is null)
            {
                return null;
            }

            var rootPath = root.AbsolutePath.TrimEnd('/');
            var fullPath = rootPath + path;
            var signed = prefixToStrip.Length > 0 && fullPath.StartsWith(prefixToStrip + "/", StringComparison.Ordinal)
                ? fullPath[prefixToStrip.Length..]
                : fullPath;
            var url = new UriBuilder(root) { Path = fullPath, Query = string.Empty, Fragment = string.Empty }.Uri;
            return new SnapEndpoint(url, signed);
        }

        return new SnapProvider(name, options, profile, key)
        {
            ClientId = clientId,
            ClientSecret = options.ClientSecret!,
            PartnerId = string.IsNullOrWhiteSpace(options.PartnerId) ? clientId : options.PartnerId.Trim(),
            ChannelId = string.IsNullOrWhiteSpace(options.ChannelId) ? profile.ChannelIdFor(clientId) : options.ChannelId.Trim(),
            Origin = string.IsNullOrWhiteSpace(options.Origin) ? null : options.Origin.Trim(),
            TokenSeparator = options.TokenSeparator ?? "|",
            Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
            AmountFormat = options.AmountFormat ?? profile.AmountFormat,
            ExternalIdMaxLength = options.ExternalIdMaxLength ?? profile.ExternalIdMaxLength,
            RefundListField = options.RefundListField?.Trim() ?? profile.RefundListField,
            TokenEndpoint = Endpoint(tokenBaseUrl, options.TokenPath ?? profile.TokenPath, tokenBaseUrl.AbsolutePath.TrimEnd('/'))!,
            RefundEndpoint = Endpoint(baseUrl, options.RefundPath ?? profile.RefundPath, strip),
            CancelEndpoint = Endpoint(baseUrl, options.CancelPath ?? profile.CancelPath, strip),
            QueryEndpoint = Endpoint(baseUrl, options.QueryPath ?? profile.QueryPath, strip),
        };
    }

    private static Uri? ParseBaseUrl(string? value, string key, bool mandatory, ICollection<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (mandatory)
            {
                errors.Add($"{key} is mandatory.");
            }

            return null;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{key} must be an absolute http(s) URL (was '{value}').");
            return null;
        }

        return uri;
    }

    public override string ToString() => $"{Name} ({Profile.Name})";
}
