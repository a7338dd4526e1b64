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
    /// utime + stime in clock ticks of every process whose command name (field 2 of its stat) is in each of
    /// <paramref name="groups"/>, one map per group keyed by process (pid and start time, so a reused pid is another
    /// process), in one pass over /proc.
    /// </summary>
    public static Dictionary<(int Pid, long StartTime), long>[] TicksOfCommands(params IReadOnlySet<string>[] groups)
    {
        var ticks = groups.Select(_ => new Dictionary<(int, long), long>()).ToArray();
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
                    ticks[group][(pid, stat.StartTime)] = stat.CpuTicks;
                }
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }

        return ticks;
    }

    /// <summary>
    /// The CPU the processes of <paramref name="after"/> used since <paramref name="before"/>: a process that started
    /// in between counts from zero, one that exited in between is not counted, so a window can only under-count.
    /// </summary>
    public static TimeSpan CpuBetween(IReadOnlyDictionary<(int Pid, long StartTime), long> before, IReadOnlyDictionary<(int Pid, long StartTime), long> after)
        => FromTicks(after.Sum(p => p.Value - before.GetValueOrDefault(p.Key)));

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

        // starttime, field 22 of the whole line: with the pid, it names one process.
        public long StartTime => long.Parse(Fields[19], CultureInfo.InvariantCulture);
    }
}
