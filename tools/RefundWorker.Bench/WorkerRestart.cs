using System.Diagnostics;
using System.Globalization;

namespace RefundWorker.Bench;

/// <summary>
/// Stops the worker and starts it again, so a backlog can be published while no worker runs ("published before
/// the worker starts"). The start goes through the script <c>deploy/bench.sh</c> writes (<c>BENCH_WORKER_START</c>):
/// the same command, environment and log as the first start, and it writes the new pid where the bench's clean-up
/// looks for it.
/// </summary>
public static class WorkerRestart
{
    /// <summary>SIGTERM (the worker's graceful stop), then waits until the process is gone.</summary>
    public static async Task StopAsync(int pid, CancellationToken ct)
    {
        using (var kill = Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(ct);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (ProcessStats.IsRunning(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the worker (pid {pid}) did not stop within 60 s of SIGTERM");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>Runs the start script; returns the new worker's pid (the script writes it next to itself).</summary>
    public static async Task<int> StartAsync(string script, CancellationToken ct)
    {
        using (var start = Process.Start("bash", [script]))
        {
            await start.WaitForExitAsync(ct);
            if (start.ExitCode != 0)
            {
                throw new InvalidOperationException($"{script} exited with {start.ExitCode}");
            }
        }

        var pidFile = Path.Combine(Path.GetDirectoryName(script)!, "worker.pid");
        return int.Parse((await File.ReadAllTextAsync(pidFile, ct)).Trim(), CultureInfo.InvariantCulture);
    }
}
