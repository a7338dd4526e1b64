using System.Diagnostics;

namespace RefundWorker.Bench;

/// <summary>
/// The consumer's CPU per refund over the middle of a batch: from the moment a quarter of its outcomes had arrived
/// to the moment three quarters had. A batch's own figure includes the ramp (a cold start on a backlog, the JIT's
/// last tiers, pools filling) and the tail (the last refunds trickling out); the middle half is the warm, full-speed
/// cost. Reported for batches of at least <see cref="MinimumCount"/> refunds whose middle half lasted at least
/// <see cref="MinimumSeconds"/> (the CPU counters tick every 10 ms).
/// </summary>
internal sealed class WarmWindow(int count)
{
    public const int MinimumCount = 10_000;
    public const double MinimumSeconds = 2;

    private Mark? _from;
    private Mark? _to;

    private readonly record struct Mark(int Done, long At, TimeSpan Cpu, MachineCpu Machine);

    /// <summary>Called from the batch's wait loop with the outcomes arrived so far; marks both ends as they pass.</summary>
    public void Observe(int done, int pid)
    {
        if (count < MinimumCount || _to is not null)
        {
            return;
        }

        if (_from is null && done >= count / 4)
        {
            _from = Take(done, pid);
        }
        else if (_from is not null && done >= count * 3 / 4)
        {
            _to = Take(done, pid);
        }
    }

    /// <summary>The consumer's µs of CPU per refund over the window, or NaN when there was none.</summary>
    public double CpuMicrosPerRefund => Window() is var (a, b) ? (b.Cpu - a.Cpu).TotalMicroseconds / (b.Done - a.Done) : double.NaN;

    /// <summary>One line for the batch's output, or null when there was no window.</summary>
    public string? Describe()
    {
        if (Window() is not var (a, b))
        {
            return null;
        }

        var refunds = b.Done - a.Done;
        var seconds = Stopwatch.GetElapsedTime(a.At, b.At).TotalSeconds;
        var cpu = b.Cpu - a.Cpu;
        return $"warm (outcomes {a.Done:N0} to {b.Done:N0}, {seconds:0.0} s): {refunds / seconds:N0}/s, {cpu.TotalMicroseconds / refunds:0} µs CPU/refund; "
            + (b.Machine - a.Machine).PerRefund(cpu, refunds);
    }

    private (Mark From, Mark To)? Window()
        => _from is { } a && _to is { } b && b.Done > a.Done && Stopwatch.GetElapsedTime(a.At, b.At).TotalSeconds >= MinimumSeconds ? (a, b) : null;

    private static Mark Take(int done, int pid) => new(done, Stopwatch.GetTimestamp(), ProcessStats.Cpu(pid), MachineCpu.Read());
}
