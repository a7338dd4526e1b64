namespace RefundWorker.Sandbox;

/// <summary>Everything one running sandbox holds: resolved providers, ledger, faults, tokens, external ids, stats.</summary>
internal sealed class SandboxRuntime : IDisposable
{
    private SandboxRuntime(SandboxSettings settings, Dictionary<string, ProviderRuntime> providers)
    {
        Settings = settings;
        Time = settings.TimeProvider;
        Providers = providers;
        Ledger = new SandboxLedger(settings, providers);
        Faults = new SandboxFaults(settings);
        Behaviours = new SandboxBehaviours(settings);
        Tokens = new TokenStore(Time);
        ExternalIds = new ExternalIdStore(Time);
        Stats = new SandboxStats();
    }

    public SandboxSettings Settings { get; }

    public TimeProvider Time { get; }

    public IReadOnlyDictionary<string, ProviderRuntime> Providers { get; }

    public SandboxLedger Ledger { get; }

    public SandboxFaults Faults { get; }

    public SandboxBehaviours Behaviours { get; }

    public TokenStore Tokens { get; }

    public ExternalIdStore ExternalIds { get; }

    public SandboxStats Stats { get; }

    /// <summary>Resolves and validates the settings; a wrong setting throws <see cref="SandboxConfigurationException"/> naming its key.</summary>
    public static SandboxRuntime Create(SandboxSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Providers.Count == 0)
        {
            throw new SandboxConfigurationException($"{SandboxSettings.SectionName}:Providers is empty: configure at least one provider.");
        }

        var providers = new Dictionary<string, ProviderRuntime>(StringComparer.OrdinalIgnoreCase);
        try
        {
            foreach (var (name, provider) in settings.Providers)
            {
                var resolved = ProviderRuntime.Resolve(name, provider);
                providers[name] = resolved;
                var clash = providers.Values.FirstOrDefault(p => p != resolved && string.Equals(p.PathPrefix, resolved.PathPrefix, StringComparison.OrdinalIgnoreCase));
                if (clash is not null)
                {
                    throw new SandboxConfigurationException($"{SandboxSettings.SectionName}:Providers:{name}:PathPrefix '{resolved.PathPrefix}' is already used by provider '{clash.Name}'.");
                }
            }

            return new SandboxRuntime(settings, providers);
        }
        catch
        {
            foreach (var p in providers.Values)
            {
                p.Dispose();
            }

            throw;
        }
    }

    /// <summary>Back to the state at start: configured originals only, no tokens, no external ids, configured faults and behaviour.</summary>
    public void Reset()
    {
        Ledger.Reset();
        Tokens.Clear();
        ExternalIds.Clear();
        Faults.Reset();
        Behaviours.Reset();
        Stats.Clear();
    }

    public void Dispose()
    {
        foreach (var p in Providers.Values)
        {
            p.Dispose();
        }
    }
}
