using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RefundWorker.Sandbox;

/// <summary>
/// <c>dotnet run --project src/RefundWorker.Sandbox</c>: the three providers on http://127.0.0.1:5080 with demo
/// credentials, throwaway merchant keys generated into <c>.local/sandbox-keys</c> (git-ignored) and a few demo
/// originals. A named class rather than top-level statements, so that projects referencing both this and the
/// worker host see no clash of two <c>Program</c> types.
/// </summary>
public static class SandboxProgram
{
    /// <summary>Entry point. Exit code 2: a configuration error (the message names the key).</summary>
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (builder.Configuration["Sandbox:ConfigFile"] is { Length: > 0 } configFile)
        {
            // Environment and command line keep the last word over the file.
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
            builder.Configuration.AddEnvironmentVariables();
            builder.Configuration.AddCommandLine(args);
        }

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:5080");
        }

        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        SandboxRuntime runtime;
        var keys = new List<(string Provider, string PrivateKey, string PublicKey)>();
        try
        {
            var settings = new SandboxSettings();
            foreach (var name in SandboxProfiles.Names)
            {
                settings.Providers[name] = SandboxProfiles.DefaultProvider(name);
            }

            builder.Configuration.GetSection(SandboxSettings.SectionName).Bind(settings);
            var keysDirectory = builder.Configuration["Sandbox:KeysDirectory"] is { Length: > 0 } configured
                ? Path.GetFullPath(configured)
                : DefaultKeysDirectory();
            foreach (var (name, provider) in settings.Providers)
            {
                if (string.IsNullOrWhiteSpace(provider.PublicKey) && string.IsNullOrWhiteSpace(provider.PublicKeyPath))
                {
                    var (privatePath, publicPath) = EnsureDemoKeyPair(keysDirectory, name);
                    provider.PublicKeyPath = publicPath;
                    keys.Add((name, privatePath, publicPath));
                }
            }

            if (settings.Originals.Count == 0 && string.IsNullOrWhiteSpace(settings.OriginalsFile)
                && !string.Equals(builder.Configuration["Sandbox:DemoOriginals"], "false", StringComparison.OrdinalIgnoreCase))
            {
                settings.Originals.AddRange(DemoOriginals(settings));
            }

            runtime = SandboxRuntime.Create(settings);
        }
        catch (SandboxConfigurationException ex)
        {
            await Console.Error.WriteLineAsync("sandbox: " + ex.Message);
            return 2;
        }

        using (runtime)
        {
            SandboxServer.AddServices(builder, runtime);
            var app = builder.Build();
            SandboxServer.Map(app, runtime, () => SandboxServer.Describe(app, runtime));
            await app.StartAsync();
            PrintBanner(SandboxServer.Describe(app, runtime), keys, runtime);
            await app.WaitForShutdownAsync();
        }

        return 0;
    }

    // `dotnet run --project src/RefundWorker.Sandbox` runs in the project folder; the keys belong at the repository
    // root (.local/sandbox-keys, git-ignored), where the worker and docker-compose look for them.
    private static string DefaultKeysDirectory()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RefundWorker.sln")))
            {
                return Path.Combine(dir.FullName, ".local", "sandbox-keys");
            }
        }

        return Path.GetFullPath(Path.Combine(".local", "sandbox-keys"));
    }

    private static (string PrivatePath, string PublicPath) EnsureDemoKeyPair(string directory, string provider)
    {
        var privatePath = Path.Combine(directory, provider + "-merchant-private.pem");
        var publicPath = Path.Combine(directory, provider + "-merchant-public.pem");
        if (File.Exists(privatePath) && File.Exists(publicPath))
        {
            return (privatePath, publicPath);
        }

        Directory.CreateDirectory(directory);
        using var rsa = RSA.Create(2048);
        File.WriteAllText(privatePath, rsa.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(privatePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(publicPath, rsa.ExportSubjectPublicKeyInfoPem());
        return (privatePath, publicPath);
    }

    // Fixed references (several from the providers' own samples) so a demo script can name them.
    private static IEnumerable<OriginalSeed> DemoOriginals(SandboxSettings settings)
    {
        foreach (var (name, provider) in settings.Providers)
        {
            var profile = (provider.Profile ?? name).ToLowerInvariant();
            var tag = name.ToUpperInvariant();
            if (profile == SandboxProfiles.Nicepay)
            {
                yield return new OriginalSeed { Provider = name, OriginalReferenceNo = "NCPY20221017161458", OriginalPartnerReferenceNo = "IONPAYTEST08202106091121206416", MerchantId = provider.ClientId, Amount = 10000m };
            }
            else if (profile == SandboxProfiles.Bnc)
            {
                yield return new OriginalSeed { Provider = name, OriginalReferenceNo = "2023072115548417896116252", OriginalPartnerReferenceNo = "ORDER-BNC-0000", Amount = 1000m };
            }
            else
            {
                yield return new OriginalSeed { Provider = name, OriginalReferenceNo = "2020102977770000000009", OriginalPartnerReferenceNo = "2020102900000000000001", Amount = 10000m };
                yield return new OriginalSeed { Provider = name, OriginalReferenceNo = $"{tag}-STATIC-0001", OriginalPartnerReferenceNo = $"ORDER-{tag}-STATIC-0001", Amount = 25000m, QrType = "STATIC" };
            }

            for (var i = 1; i <= 3; i++)
            {
                yield return new OriginalSeed
                {
                    Provider = name,
                    OriginalReferenceNo = $"{tag}-DEMO-{i:D4}",
                    OriginalPartnerReferenceNo = $"ORDER-{tag}-{i:D4}",
                    MerchantId = profile == SandboxProfiles.Nicepay ? provider.ClientId : null,
                    Amount = 100000m * i,
                };
            }
        }
    }

    private static void PrintBanner(IReadOnlyList<SandboxProviderInfo> providers, List<(string Provider, string PrivateKey, string PublicKey)> keys, SandboxRuntime runtime)
    {
        var root = providers.Count > 0 ? providers[0].BaseUrl.GetLeftPart(UriPartial.Authority) : string.Empty;
        Console.WriteLine();
        Console.WriteLine($"RefundWorker provider sandbox on {root}  (faults seed {runtime.Faults.Seed})");
        foreach (var p in providers)
        {
            Console.WriteLine();
            Console.WriteLine($"  {p.Name} (profile {p.Profile})  base URL {p.BaseUrl}");
            Console.WriteLine($"    client id       {p.ClientId}");
            Console.WriteLine($"    client secret   {p.ClientSecret}   (sandbox-only)");
            var key = keys.FirstOrDefault(k => k.Provider == p.Name);
            if (key.PrivateKey is not null)
            {
                Console.WriteLine($"    merchant key    {key.PrivateKey}   (generated, git-ignored; give it to the worker)");
                Console.WriteLine($"    public key      {key.PublicKey}");
            }
            else
            {
                Console.WriteLine("    merchant key    as configured (Sandbox:Providers:" + p.Name + ":PublicKey/PublicKeyPath)");
            }

            Console.WriteLine($"    token           POST {p.BaseUrl.AbsolutePath.TrimEnd('/')}{p.TokenPath}");
            foreach (var (label, path) in new[] { ("refund", p.RefundPath), ("cancel", p.CancelPath), ("query", p.QueryPath) })
            {
                if (path is not null)
                {
                    Console.WriteLine($"    {label,-15} POST {p.BaseUrl.AbsolutePath.TrimEnd('/')}{path}   (signed as {path})");
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"  {runtime.Ledger.Snapshot().Count} original transactions seeded: GET {root}/_sandbox/ledger");
        Console.WriteLine($"  admin: {root}/_sandbox/faults, /_sandbox/behaviour, /_sandbox/originals, /_sandbox/stats, POST /_sandbox/reset  (src/RefundWorker.Sandbox/README.md)");
        Console.WriteLine();
    }
}
