using System.Globalization;

namespace RefundWorker.Bench;

/// <summary>What `./build.sh bench` hands the runner, all from the environment.</summary>
public sealed record BenchSettings(
    string RabbitMqUri, string WorkerPostgres, string TextbookPostgres, Uri SandboxUrl, int WorkerPid, int TextbookPid,
    int Count, int Warmup, int[] LatenciesMs, int SteadyRate, int Backlog, TimeSpan Timeout, string? WorkerStartScript)
{
    public static BenchSettings FromEnvironment()
    {
        static string Need(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new InvalidOperationException($"{name} is not set; run through ./build.sh bench");
        static int Int(string name, int fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var given = Environment.GetEnvironmentVariable("BENCH_LATENCIES") is { Length: > 0 } l ? l : "0,200";
        // "none" runs no batch scenario (the backlog alone, say).
        int[] latencies = given == "none"
            ? []
            : [.. given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        return new BenchSettings(
            Need("ConnectionStrings__RabbitMq"), Need("ConnectionStrings__Postgres"), Need("Bench__TextbookPostgres"),
            new Uri(Need("BENCH_SANDBOX_URL")), Int("BENCH_WORKER_PID", 0), Int("BENCH_TEXTBOOK_PID", 0),
            Int("BENCH_COUNT", 2_000), Int("BENCH_WARMUP", 500), latencies, Int("BENCH_RATE", 0), Int("BENCH_BACKLOG", 0),
            TimeSpan.FromSeconds(Int("BENCH_TIMEOUT_SECONDS", 600)),
            Environment.GetEnvironmentVariable("BENCH_WORKER_START") is { Length: > 0 } script ? script : null);
    }
}
