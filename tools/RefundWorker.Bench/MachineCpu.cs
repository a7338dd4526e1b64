namespace RefundWorker.Bench;

/// <summary>
/// Where the machine's CPU went during a batch: all of it, PostgreSQL's processes, RabbitMQ's, from /proc. The
/// consumer under test runs beside the sandbox and the bench itself on the same cores, so its own CPU per refund
/// says little about how close the machine is to its limit; this says it.
/// </summary>
public sealed record MachineCpu(
    TimeSpan Busy, IReadOnlyDictionary<(int Pid, long StartTime), long> Postgres, IReadOnlyDictionary<(int Pid, long StartTime), long> RabbitMq)
{
    private static readonly HashSet<string> PostgresCommands = new(StringComparer.Ordinal) { "postgres" };

    // The Erlang VM and its helpers, as RabbitMQ's Debian package starts them.
    private static readonly HashSet<string> RabbitMqCommands = new(StringComparer.Ordinal) { "beam.smp", "erl_child_setup", "epmd", "inet_gethost" };

    public static MachineCpu Read()
    {
        var busy = ProcessStats.MachineBusy();
        var ticks = ProcessStats.TicksOfCommands(PostgresCommands, RabbitMqCommands);
        return new(busy, ticks[0], ticks[1]);
    }

    /// <summary>What was used between two readings (PostgreSQL's and RabbitMQ's processes per process, see
    /// <see cref="ProcessStats.CpuBetween"/>: a backend that exits in the window is left out, never subtracted).</summary>
    public static MachineCpuUse operator -(MachineCpu after, MachineCpu before) => new(
        after.Busy - before.Busy,
        ProcessStats.CpuBetween(before.Postgres, after.Postgres),
        ProcessStats.CpuBetween(before.RabbitMq, after.RabbitMq));
}

/// <summary>The machine's CPU over a window: all cores' busy time, PostgreSQL's and RabbitMQ's.</summary>
public readonly record struct MachineCpuUse(TimeSpan Busy, TimeSpan Postgres, TimeSpan RabbitMq)
{
    /// <summary>One line: µs of CPU per refund for the whole machine and its parts, <paramref name="consumer"/> being
    /// the measured consumer's own.</summary>
    public string PerRefund(TimeSpan consumer, int refunds)
    {
        double Us(TimeSpan t) => t.TotalMicroseconds / Math.Max(1, refunds);
        var rest = Busy - Postgres - RabbitMq - consumer;
        return $"machine {Us(Busy):0} µs CPU/refund: PostgreSQL {Us(Postgres):0}, RabbitMQ {Us(RabbitMq):0}, this consumer {Us(consumer):0}, "
            + $"the rest (sandbox, bench, kernel) {Us(rest):0}";
    }
}
