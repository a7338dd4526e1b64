using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// Workers of their own whose wall clock is <see cref="Clock"/>, against a sandbox on the same clock, so that "the
/// next Jakarta day" is the next day for the worker and the provider alike. The tests start and stop the workers
/// (one at a time: they share the fixture's queues).
/// </summary>
public sealed class ExternalIdScopeFixture : WorkerFixture, IAsyncLifetime
{
    private static readonly TimeSpan Jakarta = TimeSpan.FromHours(7);

    public ShiftedTimeProvider Clock { get; } = new();

    /// <summary>The provider emulator the workers call, on <see cref="Clock"/>.</summary>
    public SandboxHandle ShiftedSandbox { get; private set; } = null!;

    protected override bool StartsInProcessWorker => false;

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var settings = SandboxSettings.CreateDefault(Keys.PublicKeyPem);
        settings.TimeProvider = Clock;
        ShiftedSandbox = await SandboxServer.StartAsync(settings);
    }

    /// <summary>The next midnight in Jakarta (UTC+7) after the real now.</summary>
    public static DateTimeOffset NextJakartaMidnight()
        => new(DateTimeOffset.UtcNow.ToOffset(Jakarta).Date.AddDays(1), Jakarta);

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        foreach (var (name, p) in ShiftedSandbox.Providers)
        {
            var key = $"Snap:Providers:{name}:";
            s[key + "Profile"] = p.Profile;
            s[key + "BaseUrl"] = p.BaseUrl.ToString();
            s[key + "ClientId"] = p.ClientId;
            s[key + "ClientSecret"] = p.ClientSecret;
        }

        return s;
    }

    /// <summary>A worker in this process whose TimeProvider is <see cref="Clock"/>; ready when this returns.</summary>
    public async Task<WebApplication> StartShiftedWorkerAsync(IDictionary<string, string?>? overrides = null)
    {
        var settings = WorkerSettings();
        foreach (var (k, v) in overrides ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        var app = WorkerApp.Build([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(settings);
            b.Logging.ClearProviders();
            // Registered before the worker's own TryAddSingleton(TimeProvider.System), so this one is used.
            b.Services.AddSingleton<TimeProvider>(Clock);
        });
        await app.StartAsync();
        try
        {
            await WaitUntilReadyAsync(app);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    public static async Task StopShiftedWorkerAsync(WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    public new async Task DisposeAsync()
    {
        await ShiftedSandbox.DisposeAsync();
        await base.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ExternalIdScopeCollection : ICollectionFixture<ExternalIdScopeFixture>
{
    public const string Name = "external-id-scope";
}
