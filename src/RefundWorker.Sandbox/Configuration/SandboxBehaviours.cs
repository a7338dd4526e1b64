namespace RefundWorker.Sandbox;

/// <summary>
/// The <see cref="BehaviourSettings"/> in force per provider: the configured ones at start and after a reset,
/// replaceable while running. Reading is one volatile read, so the hot path takes no lock.
/// </summary>
public sealed class SandboxBehaviours
{
    private readonly IReadOnlyDictionary<string, SandboxProviderSettings> _configured;
    private readonly Dictionary<string, Holder> _providers = new(StringComparer.OrdinalIgnoreCase);

    internal SandboxBehaviours(SandboxSettings settings)
    {
        _configured = settings.Providers;
        foreach (var (name, provider) in settings.Providers)
        {
            _providers[name] = new Holder(Normalized(provider.Behaviour));
        }
    }

    /// <summary>Provider names (all configured providers).</summary>
    public IEnumerable<string> ProviderNames => _providers.Keys;

    /// <summary>A copy of the behaviour in force for <paramref name="provider"/>.</summary>
    public BehaviourSettings Get(string provider) => For(provider).Settings.Clone();

    /// <summary>Replaces the behaviour of <paramref name="provider"/>.</summary>
    /// <exception cref="ArgumentException">The settings are invalid (empty list name, or one the answer already uses).</exception>
    public void Set(string provider, BehaviourSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var error = settings.Validate();
        if (error is not null)
        {
            throw new ArgumentException($"Behaviour of '{provider}': {error}.", nameof(settings));
        }

        For(provider).Settings = Normalized(settings);
    }

    /// <summary>Back to the configured behaviour of every provider.</summary>
    public void Reset()
    {
        foreach (var (name, provider) in _configured)
        {
            Set(name, provider.Behaviour);
        }
    }

    // The instance in force; callers must not change it.
    internal BehaviourSettings Current(string provider) => _providers[provider].Settings;

    private static BehaviourSettings Normalized(BehaviourSettings settings)
    {
        var copy = settings.Clone();
        copy.RefundListField = copy.RefundListField.Trim();
        return copy;
    }

    private Holder For(string provider)
        => _providers.TryGetValue(provider, out var p) ? p : throw new KeyNotFoundException($"No sandbox provider named '{provider}'.");

    private sealed class Holder(BehaviourSettings settings)
    {
        private BehaviourSettings _settings = settings;

        public BehaviourSettings Settings
        {
            get => Volatile.Read(ref _settings);
            set => Volatile.Write(ref _settings, value);
        }
    }
}
