using Microsoft.AspNetCore.Builder;

namespace RefundWorker.Sandbox;

/// <summary>A running in-process sandbox. Dispose it to stop it (hanging requests are dropped).</summary>
public sealed class SandboxHandle : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SandboxRuntime _runtime;
    private int _disposed;

    internal SandboxHandle(WebApplication app, SandboxRuntime runtime, Uri baseUrl)
    {
        _app = app;
        _runtime = runtime;
        BaseUrl = baseUrl;
        Providers = runtime.Providers.Values
            .Select(p => SandboxProviderInfo.From(p, baseUrl))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Root of the server, e.g. <c>http://127.0.0.1:41234/</c> (admin API under <c>_sandbox/</c>).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Every provider served, by name: its base URL, credentials and paths.</summary>
    public IReadOnlyDictionary<string, SandboxProviderInfo> Providers { get; }

    /// <summary>The settings the sandbox started with.</summary>
    public SandboxSettings Settings => _runtime.Settings;

    /// <summary>Original transactions and what was effected on them: the ground truth to assert against.</summary>
    public SandboxLedger Ledger => _runtime.Ledger;

    /// <summary>Fault injection, changeable while running.</summary>
    public SandboxFaults Faults => _runtime.Faults;

    /// <summary>Idempotency and the list of refunds in the status answer, per provider, changeable while running.</summary>
    public SandboxBehaviours Behaviours => _runtime.Behaviours;

    /// <summary>Answers given, per provider, operation and code.</summary>
    public SandboxStats Stats => _runtime.Stats;

    /// <summary>A provider's base URL, e.g. <c>http://127.0.0.1:41234/nicepay</c> (no trailing slash; the prefix is not signed).</summary>
    public Uri ProviderUrl(string provider)
        => Providers.TryGetValue(provider, out var p) ? p.BaseUrl : throw new KeyNotFoundException($"No sandbox provider named '{provider}'.");

    /// <summary>
    /// Registers an access token as if the token endpoint had issued it, valid for <paramref name="lifetime"/> on the
    /// sandbox clock. For replaying published signature vectors, whose signatures cover a fixed token.
    /// </summary>
    public void AddAccessToken(string provider, string accessToken, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        if (!_runtime.Providers.TryGetValue(provider, out var p))
        {
            throw new KeyNotFoundException($"No sandbox provider named '{provider}'.");
        }

        _runtime.Tokens.Add(accessToken, p.Name, p.ClientId, _runtime.Time.GetUtcNow() + lifetime);
    }

    /// <summary>Back to the state at start: configured originals only, no tokens, no external ids seen, configured faults and behaviour, no scripts.</summary>
    public void Reset() => _runtime.Reset();

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            _runtime.Dispose();
        }
    }
}

/// <summary>How to reach and authenticate to one emulated provider.</summary>
/// <param name="Name">Provider name (its key in <see cref="SandboxSettings.Providers"/>).</param>
/// <param name="Profile">nicepay, bnc or ifortepay.</param>
/// <param name="BaseUrl">Base URL including the unsigned prefix, e.g. <c>http://127.0.0.1:41234/nicepay</c>.</param>
/// <param name="ClientId">X-CLIENT-KEY / X-PARTNER-ID.</param>
/// <param name="ClientSecret">HMAC key of transaction signatures (sandbox-only value).</param>
/// <param name="TokenPath">Signed path of the token call, e.g. <c>/v1.0/access-token/b2b</c>.</param>
/// <param name="RefundPath">Signed path of the refund call, or null.</param>
/// <param name="CancelPath">Signed path of the cancel call, or null.</param>
/// <param name="QueryPath">Signed path of the query call, or null.</param>
/// <param name="TokenSeparator">Separator of the token string to sign.</param>
/// <param name="ExternalIdMaxLength">Longest accepted X-EXTERNAL-ID.</param>
/// <param name="RequiresOrigin">Whether the ORIGIN header is mandatory.</param>
public sealed record SandboxProviderInfo(
    string Name,
    string Profile,
    Uri BaseUrl,
    string ClientId,
    string ClientSecret,
    string TokenPath,
    string? RefundPath,
    string? CancelPath,
    string? QueryPath,
    string TokenSeparator,
    int ExternalIdMaxLength,
    bool RequiresOrigin)
{
    internal static SandboxProviderInfo From(ProviderRuntime p, Uri root)
        => new(
            p.Name,
            p.Profile,
            new Uri(root.GetLeftPart(UriPartial.Authority) + p.PathPrefix),
            p.ClientId,
            p.ClientSecret,
            p.TokenPath,
            p.RefundPath,
            p.CancelPath,
            p.QueryPath,
            p.TokenSeparator,
            p.ExternalIdMaxLength,
            p.RequireOrigin);
}
