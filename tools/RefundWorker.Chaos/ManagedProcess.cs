using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RefundWorker.Chaos;

/// <summary>
/// One of the run's .NET processes (the sandbox, a worker replica, the migration): <c>dotnet &lt;dll&gt;</c> with its
/// configuration in environment variables, as it runs in production, output appended to a log file. Killed with
/// SIGKILL, so nothing of a graceful shutdown runs.
/// </summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ManagedProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
        _process.OutputDataReceived += (_, e) => Write(e.Data);
        _process.ErrorDataReceived += (_, e) => Write(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ManagedProcess Start(string name, string dll, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"dotnet {dll} did not start.");
        return new ManagedProcess(name, process, log);
    }

    /// <summary>Runs to the end (e.g. <c>RefundWorker.dll migrate</c>); throws with the log's tail on failure.</summary>
    public static async Task RunToEndAsync(string name, string dll, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string logFile, CancellationToken ct)
    {
        await using var p = Start(name, dll, args, environment, logFile);
        await p._process.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} exited with {p.ExitCode}; see {logFile}");
        }
    }

    /// <summary>Waits until <paramref name="url"/> answers 2xx; fails early when the process exits.</summary>
    public async Task WaitForHttpAsync(Uri url, TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before {url} answered");
            }

            try
            {
                using var r = await http.GetAsync(url, ct);
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} did not answer {url} within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(250, ct);
        }
    }

    /// <summary>SIGKILL: in-flight provider calls and uncommitted work are simply gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
