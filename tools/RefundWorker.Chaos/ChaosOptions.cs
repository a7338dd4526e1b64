using System.Globalization;

namespace RefundWorker.Chaos;

/// <summary>One chaos run's size and disturbances. Defaults are the full run of <c>./build.sh chaos</c>.</summary>
public sealed record ChaosOptions
{
    /// <summary>Messages the order system publishes: refunds and cancels, duplicates, conflicting repeats, invalid ones.</summary>
    public int Count { get; init; } = 100_000;

    /// <summary>Publishes per second at most, so that the kills and restarts land while publishing goes on.</summary>
    public int PublishRate { get; init; } = 400;

    /// <summary>Worker replicas on the one queue.</summary>
    public int Workers { get; init; } = 3;

    /// <summary>kill -9 of a random worker (each restarted).</summary>
    public int Kills { get; init; } = 3;

    public int BrokerRestarts { get; init; } = 1;

    public int DatabaseRestarts { get; init; } = 1;

    /// <summary>How long after the last publish every request must have its outcome and every operation be final.</summary>
    public TimeSpan SettleTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Seed of the request mix, the disturbance moments and the sandbox's fault draws.</summary>
    public int Seed { get; init; } = 20261201;

    /// <summary>Where the worker's and the sandbox's dlls are (by default next to this tool's own).</summary>
    public string BinariesDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>Logs of every process of the run; kept after the run.</summary>
    public string LogDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "refundworker-chaos-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));

    /// <summary>Messages that are not JSON at all: the only dead letters the run may produce.</summary>
    public int Unparseable => Math.Max(3, Count / 10_000);

    public static ChaosOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ChaosOptions();
        o = Env("CHAOS_COUNT") is { } c ? o with { Count = c } : o;
        o = Env("CHAOS_RATE") is { } r ? o with { PublishRate = r } : o;
        o = Env("CHAOS_KILLS") is { } k ? o with { Kills = k } : o;
        o = Env("CHAOS_SEED") is { } s ? o with { Seed = s } : o;
        o = Env("CHAOS_SETTLE_SECONDS") is { } t ? o with { SettleTime = TimeSpan.FromSeconds(t) } : o;
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--count" => o with { Count = Int() },
                "--rate" => o with { PublishRate = Int() },
                "--workers" => o with { Workers = Int() },
                "--kills" => o with { Kills = Int() },
                "--broker-restarts" => o with { BrokerRestarts = Int() },
                "--database-restarts" => o with { DatabaseRestarts = Int() },
                "--settle-seconds" => o with { SettleTime = TimeSpan.FromSeconds(Int()) },
                "--seed" => o with { Seed = Int() },
                "--bin" => o with { BinariesDirectory = Next() },
                "--logs" => o with { LogDirectory = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]} (--count --rate --workers --kills --broker-restarts --database-restarts --settle-seconds --seed --bin --logs)"),
            };
        }

        if (o.Count < 100 || o.Workers < 1 || o.PublishRate < 1)
        {
            throw new ArgumentException("--count must be at least 100, --workers and --rate at least 1");
        }

        return o;
    }

    private static int? Env(string name)
        => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
}
