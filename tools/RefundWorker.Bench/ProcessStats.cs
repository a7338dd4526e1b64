using System.Globalization;

namespace RefundWorker.Bench;

/// <summary>CPU time and peak resident memory of another process, from /proc (Linux).</summary>
public static class ProcessStats
{
    // USER_HZ: /proc/<pid>/stat counts CPU in clock ticks, 100 per second on every Linux the project runs on.
    private const double TicksPerSecond = 100;

    /// <summary>utime + stime of <paramref name="pid"/>, all threads.</summary>
    public static TimeSpan Cpu(int pid)
    {
        var fields = StatFields(pid);
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((utime + stime) / TicksPerSecond);
    }

    /// <summary>VmHWM (peak resident set) in MB.</summary>
    public static double PeakRssMb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>Whether <paramref name="pid"/> exists and is not a zombie its parent has yet to reap.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            return StatFields(pid)[0] != "Z";
        }
        catch (IOException)
        {
            return false;
        }
    }

    // The fields of /proc/<pid>/stat from the third (state) on. The command name (field 2) may hold spaces and
    // parentheses: fields are counted after its closing ')'.
    private static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    /// <summary>utime + stime of every process whose command name (<c>/proc/&lt;pid&gt;/comm</c>, as in field 2 of
    /// its stat) is one of <paramref name="commands"/>. A process that exits between two readings takes its CPU
    /// with it, so a sum over a window can only under-count.</summary>
    public static TimeSpan CpuOfCommands(IReadOnlySet<string> commands)
    {
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                if (!commands.Contains(stat[(open + 1)..close]))
                {
                    continue;
                }

                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>Busy CPU time of the whole machine, all cores: the first line of /proc/stat without idle and iowait.</summary>
    public static TimeSpan MachineBusy()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        // cpu user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
        return TimeSpan.FromSeconds((Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / TicksPerSecond);
    }

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[..3] is var l ? string.Join(' ', l) : "";
}
