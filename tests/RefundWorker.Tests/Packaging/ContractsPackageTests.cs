using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Xml.Linq;

namespace RefundWorker.Tests.Packaging;

/// <summary>
/// RefundWorker.Contracts is what order systems reference: <c>dotnet pack</c> must make a package with its metadata and
/// no dependencies, and a project outside this repository must restore and build against it from that package alone.
/// </summary>
public sealed class ContractsPackageTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("rw-contracts-").FullName;

    [Fact]
    public async Task Should_pack_the_contracts_with_metadata_and_no_dependencies_and_build_a_consumer_from_that_package_alone()
    {
        var root = RepositoryRoot();
        var feed = Path.Combine(_work, "feed");
        // Built into a folder of its own (Directory.Build.props honours RW_ARTIFACTS): a pack must not race a build of
        // the tree's own bin/ and obj/.
        var pack = await DotnetAsync(root, ["pack", Path.Combine(root, "src", "RefundWorker.Contracts"), "-c", "Release", "-o", feed, "-nologo"],
            ("RW_ARTIFACTS", Path.Combine(_work, "artifacts")));
        Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output);

        var nupkg = Assert.Single(Directory.GetFiles(feed, "RefundWorker.Contracts.*.nupkg"));
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            await using var nuspecStream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
            var nuspec = await XDocument.LoadAsync(nuspecStream, LoadOptions.None, CancellationToken.None);
            var ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal("RefundWorker.Contracts", metadata.Element(ns + "id")?.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "version")?.Value));
            Assert.Contains("RefundRequested", metadata.Element(ns + "description")?.Value ?? "", StringComparison.Ordinal);
            Assert.Equal("expression", metadata.Element(ns + "license")?.Attribute("type")?.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "license")?.Value));
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            Assert.Contains(zip.Entries, e => e.FullName == "README.md");
            Assert.Contains(zip.Entries, e => e.FullName.StartsWith("lib/", StringComparison.Ordinal) && e.Name == "RefundWorker.Contracts.dll");
            Assert.Empty(metadata.Descendants(ns + "dependency"));
            var version = metadata.Element(ns + "version")!.Value;

            await WriteConsumerAsync(version);
        }

        // Only the folder as a source and a package cache of its own: nothing comes from this repository, from a
        // registry or from a package cached by an earlier run under the same version.
        var consumer = Path.Combine(_work, "consumer");
        var env = ("NUGET_PACKAGES", Path.Combine(_work, "packages"));
        var restore = await DotnetAsync(consumer, ["restore", "--source", feed, "-nologo"], env);
        Assert.True(restore.ExitCode == 0, "Restoring the consumer from the package folder failed:\n" + restore.Output);
        var build = await DotnetAsync(consumer, ["build", "--no-restore", "-c", "Release", "-o", Path.Combine(_work, "out"), "-nologo"], env);
        Assert.True(build.ExitCode == 0, "Building the consumer failed:\n" + build.Output);
        var run = await DotnetAsync(consumer, [Path.Combine(_work, "out", "Consumer.dll")], env);
        Assert.True(run.ExitCode == 0, "The consumer failed:\n" + run.Output);
        Assert.Contains("\"PartnerRefundNo\":\"R-1\"", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"Amount\":10000.00", run.Output, StringComparison.Ordinal);
    }

    /// <summary>A console app as an order system would write it: only the package, nothing of this repository's
    /// build (the empty Directory.*.props stop MSBuild from looking further up for ones it would import).</summary>
    private async Task WriteConsumerAsync(string version)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_work, "consumer")).FullName;
        await File.WriteAllTextAsync(Path.Combine(_work, "Directory.Build.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(_work, "Directory.Packages.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(_work, "Directory.Build.targets"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(dir, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="RefundWorker.Contracts" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "Program.cs"), """
            using System;
            using System.Text.Json;
            using RefundWorker.Contracts;

            var request = new RefundRequested
            {
                RequestId = Guid.NewGuid(),
                Provider = "nicepay",
                PartnerRefundNo = "R-1",
                ExternalId = "1",
                MerchantId = "M-1",
                Amount = 10000.00m,
            };
            Console.WriteLine(JsonSerializer.Serialize(request));
            """);
    }

    private static async Task<(int ExitCode, string Output)> DotnetAsync(string workingDirectory, string[] args, params (string Name, string Value)[] env)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // The test host's MSBuild variables would point the child build at this test's SDK resolution.
        info.Environment.Remove("MSBuildExtensionsPath");
        info.Environment.Remove("MSBuildSDKsPath");
        info.Environment.Remove("MSBUILD_EXE_PATH");
        foreach (var (name, value) in env)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish within 8 minutes.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    // Up from the test binaries; when they were built elsewhere (RW_ARTIFACTS), up from this source file instead.
    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = start.Length == 0 ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "RefundWorker.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        Assert.Fail($"No folder above {AppContext.BaseDirectory} or {sourceFile} holds RefundWorker.sln; run the tests from a clone.");
        return "";
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
