using System.Globalization;

namespace RefundWorker.Bench;

/// <summary>CPU time and peak resident memory of another process, from /proc (Linux).</summary>
public static class ProcessStats
{
    // USER_HZ: /proc/<pid>/stat counts CPU in clock ticks, 100 per second on every Linux the project runs on.
    private const double TicksPerSecond = 100;

    /// <summary>utime + stime of <paramref name="pid"/>, all threads.</summary>
    public static TimeSpan Cpu(int pid) => FromTicks(ReadStat(pid).CpuTicks);

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
            return ReadStat(pid).Fields[0] != "Z";
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// utime + stime of every process whose command name (field 2 of its stat) is in each of <paramref name="groups"/>,
    /// one sum per group, in one pass over /proc. A process that exits between two readings takes its CPU with it,
    /// so a sum over a window can only under-count.
    /// </summary>
    public static TimeSpan[] CpuOfCommands(params IReadOnlySet<string>[] groups)
    {
        var ticks = new long[groups.Length];
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = ReadStat(pid);
                var group = Array.FindIndex(groups, g => g.Contains(stat.Command));
                if (group >= 0)
                {
                    ticks[group] += stat.CpuTicks;
                }
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }

        return [.. ticks.Select(FromTicks)];
    }

    /// <summary>Busy CPU time of the whole machine, all cores: the first line of /proc/stat without idle and iowait.</summary>
    public static TimeSpan MachineBusy()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        // cpu user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
        return FromTicks(Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8));
    }

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[..3] is var l ? string.Join(' ', l) : "";

    private static TimeSpan FromTicks(long ticks) => TimeSpan.FromSeconds(ticks / TicksPerSecond);

    // /proc/<pid>/stat: the command name (field 2) may hold spaces and parentheses, so it is what lies between the first
    // '(' and the last ')', and the fields from the third (state) on are counted after that ')'.
    private static Stat ReadStat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        return new Stat(stat[(open + 1)..close], stat[(close + 2)..].Split(' '));
    }

    private readonly record struct Stat(string Command, string[] Fields)
    {
        // utime and stime, fields 14 and 15 of the whole line.
        public long CpuTicks => long.Parse(Fields[11], CultureInfo.InvariantCulture) + long.Parse(Fields[12], CultureInfo.InvariantCulture);
    }
}
