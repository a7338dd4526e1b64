namespace RefundWorker.Sandbox;

/// <summary>
/// Everything the sandbox needs to start, bound from the <c>Sandbox</c> configuration section when it runs on its
/// own, or built in code by tests (<see cref="CreateDefault"/>). Keys are documented in README.md.
/// </summary>
public sealed class SandboxSettings
{
    /// <summary>The configuration section the standalone host binds.</summary>
    public const string SectionName = "Sandbox";

    /// <summary>Providers served, by name (the name is also the default path prefix: <c>/nicepay</c>).</summary>
    public Dictionary<string, SandboxProviderSettings> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Seed of every random fault decision: the same seed and the same request order give the same faults.</summary>
    public int Seed { get; set; } = 20240122;

    /// <summary>A JSON file holding an array of original transactions to seed at start and after a reset.</summary>
    public string? OriginalsFile { get; set; }

    /// <summary>Original transactions seeded at start and after a reset (in addition to <see cref="OriginalsFile"/>).</summary>
    public List<OriginalSeed> Originals { get; set; } = [];

    /// <summary>In-process hosting: the loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>
    /// How long the host waits for in-flight requests (hanging ones included) when it stops. Hanging requests are
    /// cancelled at stop anyway, so this only bounds ordinary ones.
    /// </summary>
    public int ShutdownTimeoutSeconds { get; set; } = 2;

    /// <summary>The clock of tokens, timestamps, days (for X-EXTERNAL-ID) and injected delays. Not bound from configuration.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The three providers of docs/protocol.md with their default profiles, client ids and (sandbox-only) secrets, all
    /// verifying token signatures with <paramref name="merchantPublicKeyPem"/>.
    /// </summary>
    public static SandboxSettings CreateDefault(string merchantPublicKeyPem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(merchantPublicKeyPem);
        var settings = new SandboxSettings();
        foreach (var name in SandboxProfiles.Names)
        {
            var provider = SandboxProfiles.DefaultProvider(name);
            provider.PublicKey = merchantPublicKeyPem;
            settings.Providers[name] = provider;
        }

        return settings;
    }
}
