using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// The real worker binary (<c>RefundWorker.dll run</c>, copied next to the tests) in a process of its own, configured
/// through environment variables exactly as in production, so it can be killed with SIGKILL.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private WorkerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last 200 lines the process wrote (stdout and stderr).</summary>
    public IReadOnlyList<string> Lines => [.. _output];

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string Tail => string.Join(Environment.NewLine, _output.TakeLast(40));

    /// <param name="wrapper">A command the worker runs under (e.g. strace), its arguments first.</param>
    public static async Task<WorkerProcess> StartAsync(IDictionary<string, string?> settings, IReadOnlyList<string>? wrapper = null)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "RefundWorker.dll");
        var info = new ProcessStartInfo(wrapper is { Count: > 0 } ? wrapper[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var arg in wrapper?.Skip(1) ?? [])
        {
            info.ArgumentList.Add(arg);
        }

        if (wrapper is { Count: > 0 })
        {
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("run");
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__RefundWorker"] = "Information";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var worker = new WorkerProcess(process, port);
        await worker.WaitUntilReadyAsync();
        return worker;
    }

    /// <summary>SIGKILL: no shutdown hook runs, in-flight calls and uncommitted work are simply gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The worker exited with {_process.ExitCode}:{Environment.NewLine}{Tail}");
            }

            try
            {
                using var r = await http.GetAsync("/health/ready");
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The worker process was not ready within 60s:{Environment.NewLine}{Tail}");
            }

            await Task.Delay(200);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
