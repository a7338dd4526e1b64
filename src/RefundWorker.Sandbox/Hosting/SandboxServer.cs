using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RefundWorker.Sandbox;

/// <summary>
/// Hosts the sandbox in the calling process on a loopback port, for tests:
/// <code>
/// await using var sandbox = await SandboxServer.StartAsync(SandboxSettings.CreateDefault(publicKeyPem));
/// var nicepay = sandbox.ProviderUrl("nicepay");   // http://127.0.0.1:41234/nicepay
/// </code>
/// </summary>
public static class SandboxServer
{
    /// <summary>Starts a sandbox on 127.0.0.1 (port <see cref="SandboxSettings.Port"/>, 0 = a free one).</summary>
    /// <exception cref="SandboxConfigurationException">A setting is missing or wrong; the message names the key.</exception>
    public static async Task<SandboxHandle> StartAsync(SandboxSettings settings, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var runtime = SandboxRuntime.Create(settings);
        try
        {
            // The empty builder reads no appsettings, environment or command line: a test's sandbox is exactly
            // what the test configured, whatever ASPNETCORE_URLS the machine has.
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(SandboxServer).Assembly.GetName().Name });
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
            {
                k.Listen(IPAddress.Loopback, settings.Port);
                k.AddServerHeader = false;
            });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            AddServices(builder, runtime);
            var app = builder.Build();
            Map(app, runtime, () => Describe(app, runtime));
            await app.StartAsync(ct);
            return new SandboxHandle(app, runtime, BaseUrlOf(app));
        }
        catch
        {
            runtime.Dispose();
            throw;
        }
    }

    internal static void AddServices(WebApplicationBuilder builder, SandboxRuntime runtime)
    {
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(runtime);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(runtime.Settings.ShutdownTimeoutSeconds));
    }

    internal static void Map(WebApplication app, SandboxRuntime runtime, Func<IReadOnlyList<SandboxProviderInfo>> providers)
    {
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        SnapEndpoints.Map(app, runtime, lifetime.ApplicationStopping);
        AdminEndpoints.Map(app, runtime, providers);
    }

    internal static Uri BaseUrlOf(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("The server reports no address.");
        var first = addresses.First();

        // Kestrel reports "http://[::]:5080" for a wildcard bind; clients on this machine reach it on loopback.
        var loopback = first
            .Replace("[::]", "127.0.0.1", StringComparison.Ordinal)
            .Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
            .Replace("//+:", "//127.0.0.1:", StringComparison.Ordinal)
            .Replace("//*:", "//127.0.0.1:", StringComparison.Ordinal);
        var uri = new Uri(loopback);
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }

    internal static IReadOnlyList<SandboxProviderInfo> Describe(WebApplication app, SandboxRuntime runtime)
    {
        var baseUrl = BaseUrlOf(app);
        return [.. runtime.Providers.Values.Select(p => SandboxProviderInfo.From(p, baseUrl))];
    }
}
