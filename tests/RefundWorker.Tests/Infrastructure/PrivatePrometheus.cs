using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// A Prometheus server of the test's own: its own config, data directory and loopback port, scraping one target
/// every second and loading the given rule files. Any Prometheus the machine runs as a service is never touched.
/// The binary is <c>prometheus</c> from PROMETHEUS_BIN (a folder) or /usr/bin (Debian's package; build.sh installs
/// it for <c>./build.sh test</c>).
/// </summary>
public sealed class PrivatePrometheus : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _root;

    private PrivatePrometheus(Process process, string root, Uri address)
    {
        _process = process;
        _root = root;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public static string Bin => Environment.GetEnvironmentVariable("PROMETHEUS_BIN") is { Length: > 0 } b ? b : "/usr/bin";

    public static string Tool(string name)
    {
        var path = Path.Combine(Bin, name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} not found (apt-get install prometheus, or set PROMETHEUS_BIN; ./build.sh test installs it).");
        }

        return path;
    }

    public static async Task<PrivatePrometheus> StartAsync(Uri target, string metricsPath, IEnumerable<string> ruleFiles)
    {
        var root = Path.Combine(Path.GetTempPath(), "rw-prom-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var port = FreePort();
        var config = Path.Combine(root, "prometheus.yml");
        // JSON is YAML: no YAML writer needed.
        var yaml = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["global"] = new Dictionary<string, string> { ["scrape_interval"] = "1s", ["evaluation_interval"] = "1s" },
            ["rule_files"] = ruleFiles.ToArray(),
            ["scrape_configs"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["job_name"] = "refundworker",
                    ["metrics_path"] = metricsPath,
                    ["static_configs"] = new[] { new Dictionary<string, object> { ["targets"] = new[] { $"{target.Host}:{target.Port}" } } },
                },
            },
        });
        await File.WriteAllTextAsync(config, yaml);
        var psi = new ProcessStartInfo(Tool("prometheus"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(root, "data"),
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                 })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var prometheus = new PrivatePrometheus(process, root, new Uri($"http://127.0.0.1:{port}/"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                await prometheus.DisposeAsync();
                throw new InvalidOperationException($"prometheus exited with {process.ExitCode} at start");
            }

            try
            {
                using var r = await prometheus.Http.GetAsync("-/ready");
                if (r.IsSuccessStatusCode)
                {
                    return prometheus;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                await prometheus.DisposeAsync();
                throw new TimeoutException("prometheus did not get ready within 60 s");
            }

            await Task.Delay(200);
        }
    }

    /// <summary><c>/api/v1/query</c>: the parsed body, whatever the status (a parse error is status "error").</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        using var r = await Http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
