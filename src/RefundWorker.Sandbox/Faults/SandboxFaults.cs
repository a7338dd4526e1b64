using System.Collections.Concurrent;

namespace RefundWorker.Sandbox;

/// <summary>
/// Fault injection per provider: seeded rates, latency, hangs, lost responses and scripted answers.
/// Every random decision of a provider is the n-th value of a counter-based generator keyed by (seed, provider,
/// stream), so the same seed and the same request order give the same faults, without a lock on the hot path.
/// </summary>
public sealed class SandboxFaults
{
    private readonly IReadOnlyDictionary<string, SandboxProviderSettings> _configured;
    private readonly int _configuredSeed;
    private readonly Dictionary<string, ProviderFaults> _providers;
    private int _seed;

    internal SandboxFaults(SandboxSettings settings)
    {
        _configured = settings.Providers;
        _configuredSeed = settings.Seed;
        _seed = settings.Seed;
        _providers = new Dictionary<string, ProviderFaults>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, provider) in settings.Providers)
        {
            _providers[name] = new ProviderFaults(Fnv1a(name.ToUpperInvariant()), provider.Faults.Clone());
        }
    }

    /// <summary>The seed of every random fault decision.</summary>
    public int Seed => Volatile.Read(ref _seed);

    /// <summary>Provider names that have faults (all configured providers).</summary>
    public IEnumerable<string> ProviderNames => _providers.Keys;

    /// <summary>A copy of the faults in force for <paramref name="provider"/>.</summary>
    public FaultSettings Get(string provider) => For(provider).Settings.Clone();

    /// <summary>Replaces the faults of <paramref name="provider"/> and restarts its random sequence.</summary>
    /// <exception cref="ArgumentException">The settings are invalid (rates out of range, sum above 1, negative times).</exception>
    public void Set(string provider, FaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var error = settings.Validate();
        if (error is not null)
        {
            throw new ArgumentException($"Faults of '{provider}': {error}.", nameof(settings));
        }

        var target = For(provider);
        target.Settings = settings.Clone();
        target.RestartSequence();
    }

    /// <summary>Changes the seed and restarts every provider's random sequence.</summary>
    public void SetSeed(int seed)
    {
        Volatile.Write(ref _seed, seed);
        foreach (var p in _providers.Values)
        {
            p.RestartSequence();
        }
    }

    /// <summary>Appends steps to the script of one provider and operation.</summary>
    public void Script(string provider, SandboxOperation operation, params FaultStep[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        foreach (var step in steps)
        {
            if (step.Kind == FaultKind.Respond && !Snap.ResponseCode.TryParse(step.ResponseCode, out _))
            {
                throw new ArgumentException($"A Respond step needs a 7-digit ResponseCode, got '{step.ResponseCode}'.", nameof(steps));
            }

            if (step.DelayMs < 0)
            {
                throw new ArgumentException("DelayMs must not be negative.", nameof(steps));
            }
        }

        var queue = For(provider).Scripts[(int)operation];
        foreach (var step in steps)
        {
            queue.Enqueue(step);
        }
    }

    /// <summary>Steps still waiting in the script of one provider and operation.</summary>
    public IReadOnlyList<FaultStep> PendingScript(string provider, SandboxOperation operation)
        => [.. For(provider).Scripts[(int)operation]];

    /// <summary>Empties the scripts of <paramref name="provider"/> (one operation, or all when null).</summary>
    public void ClearScript(string provider, SandboxOperation? operation = null)
    {
        var p = For(provider);
        for (var i = 0; i < p.Scripts.Length; i++)
        {
            if (operation is null || (int)operation == i)
            {
                p.Scripts[i].Clear();
            }
        }
    }

    /// <summary>No faults anywhere: every rate 0, no latency, no scripts.</summary>
    public void Clear()
    {
        foreach (var name in _providers.Keys)
        {
            Set(name, new FaultSettings());
            ClearScript(name);
        }
    }

    /// <summary>Back to the configured faults and seed; scripts emptied.</summary>
    public void Reset()
    {
        Volatile.Write(ref _seed, _configuredSeed);
        foreach (var (name, provider) in _configured)
        {
            Set(name, provider.Faults);
            ClearScript(name);
        }
    }

    internal FaultSettings Current(string provider) => _providers[provider].Settings;

    internal FaultDecision Decide(string provider, SandboxOperation operation)
    {
        var p = _providers[provider];
        var settings = p.Settings;
        if (p.Scripts[(int)operation].TryDequeue(out var step))
        {
            var delay = step.DelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : DrawLatency(p, settings, operation);
            return new FaultDecision(step.Kind, delay, TimeSpan.FromSeconds(settings.HangSeconds), step);
        }

        var latency = DrawLatency(p, settings, operation);
        if (!settings.AppliesTo(operation))
        {
            return new FaultDecision(FaultKind.None, latency, TimeSpan.Zero, null);
        }

        var u = Uniform(p, Stream.Outcome, Interlocked.Increment(ref p.OutcomeCounter));
        var kind = Pick(settings, u);
        return new FaultDecision(kind, latency, TimeSpan.FromSeconds(settings.HangSeconds), null);
    }

    private static FaultKind Pick(FaultSettings s, double u)
    {
        if ((u -= s.Error500Rate) < 0)
        {
            return FaultKind.Error500;
        }

        if ((u -= s.Error503Rate) < 0)
        {
            return FaultKind.Error503;
        }

        if ((u -= s.Error504Rate) < 0)
        {
            return FaultKind.Error504;
        }

        if ((u -= s.Error429Rate) < 0)
        {
            return FaultKind.Error429;
        }

        if ((u -= s.HangRate) < 0)
        {
            return FaultKind.Hang;
        }

        if ((u -= s.LostResponseRate) < 0)
        {
            return s.LostResponseMode switch
            {
                LostResponseMode.Abort => FaultKind.LostResponseAbort,
                LostResponseMode.Hang => FaultKind.LostResponseHang,
                _ => FaultKind.LostResponse504,
            };
        }

        return FaultKind.None;
    }

    private TimeSpan DrawLatency(ProviderFaults p, FaultSettings s, SandboxOperation operation)
    {
        var ms = operation == SandboxOperation.Token ? s.TokenLatencyMs : 0d;
        if (s.AppliesTo(operation) && s.Latency.Distribution != LatencyDistribution.None)
        {
            ms += Sample(p, s.Latency);
        }

        return ms <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(ms);
    }

    private double Sample(ProviderFaults p, LatencySettings l)
    {
        var n = Interlocked.Increment(ref p.LatencyCounter);
        var u1 = Uniform(p, Stream.Latency, 2 * n);
        double value;
        switch (l.Distribution)
        {
            case LatencyDistribution.Fixed:
                return l.FixedMs;
            case LatencyDistribution.Uniform:
                value = l.MinMs + (u1 * (l.MaxMs - l.MinMs));
                break;
            case LatencyDistribution.Exponential:
                value = -l.MeanMs * Math.Log(1 - u1);
                break;
            case LatencyDistribution.Normal:
                value = l.MeanMs + (l.StdDevMs * StandardNormal(u1, Uniform(p, Stream.Latency, (2 * n) + 1)));
                break;
            case LatencyDistribution.LogNormal:
                if (l.MeanMs <= 0)
                {
                    return 0;
                }

                var sigma2 = Math.Log(1 + (l.StdDevMs * l.StdDevMs / (l.MeanMs * l.MeanMs)));
                var mu = Math.Log(l.MeanMs) - (sigma2 / 2);
                value = Math.Exp(mu + (Math.Sqrt(sigma2) * StandardNormal(u1, Uniform(p, Stream.Latency, (2 * n) + 1))));
                break;
            default:
                return 0;
        }

        value = Math.Max(value, l.MinMs);
        return l.MaxMs > 0 ? Math.Min(value, l.MaxMs) : value;
    }

    // Box-Muller; u1 is moved off 0 so the logarithm stays finite.
    private static double StandardNormal(double u1, double u2)
        => Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);

    // SplitMix64 over (seed, provider, stream, n): a pure function, so concurrent callers need only the counter.
    private double Uniform(ProviderFaults p, Stream stream, long n)
    {
        var z = unchecked(((ulong)(uint)Seed * 0x9E3779B97F4A7C15UL) ^ p.Salt ^ ((ulong)stream * 0xD1B54A32D192ED03UL));
        z = unchecked(z + ((ulong)n * 0x9E3779B97F4A7C15UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Fnv1a(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h = unchecked((h ^ c) * 1099511628211UL);
        }

        return h;
    }

    private ProviderFaults For(string provider)
        => _providers.TryGetValue(provider, out var p) ? p : throw new KeyNotFoundException($"No sandbox provider named '{provider}'.");

    private enum Stream : ulong
    {
        Outcome = 1,
        Latency = 2,
    }

    private sealed class ProviderFaults(ulong salt, FaultSettings settings)
    {
        private FaultSettings _settings = settings;
        public long OutcomeCounter;
        public long LatencyCounter;

        public ulong Salt { get; } = salt;

        public FaultSettings Settings
        {
            get => Volatile.Read(ref _settings);
            set => Volatile.Write(ref _settings, value);
        }

        public ConcurrentQueue<FaultStep>[] Scripts { get; } = [new(), new(), new(), new()];

        public void RestartSequence()
        {
            Interlocked.Exchange(ref OutcomeCounter, 0);
            Interlocked.Exchange(ref LatencyCounter, 0);
        }
    }
}

internal readonly record struct FaultDecision(FaultKind Kind, TimeSpan Delay, TimeSpan HangFor, FaultStep? Step);
