using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace RefundWorker.Snap;

/// <summary>The configured providers, resolved once.</summary>
public sealed class SnapProviderRegistry
{
    private readonly Dictionary<string, SnapProvider> _providers;

    public SnapProviderRegistry(IOptions<SnapOptions> options)
        : this(Resolve(options.Value))
    {
    }

    public SnapProviderRegistry(IEnumerable<SnapProvider> providers)
    {
        _providers = new Dictionary<string, SnapProvider>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in providers)
        {
            _providers.Add(provider.Name, provider);
        }
    }

    public IEnumerable<SnapProvider> All => _providers.Values;

    /// <summary>The provider called <paramref name="name"/> (case-insensitive).</summary>
    public SnapProvider Get(string name)
        => TryGet(name, out var provider)
            ? provider
            : throw new KeyNotFoundException(
                $"No SNAP provider '{name}' is configured (Snap:Providers:{name}); configured: {string.Join(", ", _providers.Keys)}.");

    public bool TryGet(string name, [MaybeNullWhen(false)] out SnapProvider provider)
        => _providers.TryGetValue(name, out provider);

    private static IEnumerable<SnapProvider> Resolve(SnapOptions options)
    {
        var errors = new List<string>();
        var providers = new List<SnapProvider>();
        foreach (var (name, providerOptions) in options.Providers)
        {
            var provider = SnapProvider.TryCreate(name, providerOptions, errors);
            if (provider is not null)
            {
                providers.Add(provider);
            }
        }

        if (errors.Count > 0)
        {
            throw new SnapConfigurationException(string.Join(Environment.NewLine, errors));
        }

        return providers;
    }
}

/// <summary>Fails host start when a provider is misconfigured, with one line per problem naming its key.</summary>
internal sealed class SnapOptionsValidator : IValidateOptions<SnapOptions>
{
    public ValidateOptionsResult Validate(string? name, SnapOptions options)
    {
        var errors = new List<string>();
        foreach (var (providerName, providerOptions) in options.Providers)
        {
            if (providerOptions is null)
            {
                errors.Add($"{SnapProvider.SettingKey(providerName, "Profile")} is mandatory.");
                continue;
            }

            // Loads the key too: a bad key must fail at start, not at the first refund.
            SnapProvider.TryCreate(providerName, providerOptions, errors)?.PrivateKey.Dispose();
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
