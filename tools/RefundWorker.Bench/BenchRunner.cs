using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Demo;

namespace RefundWorker.Bench;

/// <summary>One measured batch: who, under which scenario, and what it cost.</summary>
public sealed record BenchResult(
    string Scenario, string Consumer, int Count, int Completed, double PerSecond, double CpuMicrosPerRefund,
    double CommitsPerRefund, double P50Ms, double P99Ms, double PeakRssMb, string Outcomes, string Load, double WarmCpuMicrosPerRefund);

/// <summary>
/// Feeds the worker and the textbook consumer the same refunds, one after the other, per scenario (provider latency
/// set on the sandbox), and measures each batch from its first publish to its last outcome event: refunds/s,
/// the process's CPU (/proc/&lt;pid&gt;/stat) per refund, its database's committed transactions
/// (pg_stat_database.xact_commit) per refund, publish-to-outcome p50/p99, and peak RSS (VmHWM).
/// </summary>
public sealed class BenchRunner(BenchSettings settings, SandboxAdmin sandbox, HttpClient sandboxHttp, TextWriter output)
{
    private readonly OutcomeArrivals _arrivals = new();
    private readonly Dictionary<Guid, long> _publishedAt = [];
    private readonly string _run = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
    private int _batch;
    private int _workerPid = settings.WorkerPid;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var (bus, services) = await OutcomeListener.StartAsync(settings.RabbitMqUri, _arrivals, ct);
        await using var _ = services;
        await using var publisher = await BenchPublisher.ConnectAsync(settings.RabbitMqUri, ct);
        var results = new List<BenchResult>();
        try
        {
            await SetLatencyAsync(0, ct);
            if (settings.Warmup > 0)
            {
                // Both processes JIT and fill their pools before anything is measured ("warm" figures).
                output.WriteLine($"warm-up: {settings.Warmup} refunds each");
                await MeasureAsync(publisher, "warm-up", worker: true, settings.Warmup, 0, ct);
                await MeasureAsync(publisher, "warm-up", worker: false, settings.Warmup, 0, ct);
            }

            foreach (var latency in settings.LatenciesMs)
            {
                await SetLatencyAsync(latency, ct);
                var scenario = $"{latency} ms provider, {settings.Count} at once";
                results.Add(await MeasureAsync(publisher, scenario, worker: true, settings.Count, 0, ct));
                results.Add(await MeasureAsync(publisher, scenario, worker: false, settings.Count, 0, ct));
            }

            if (settings.SteadyRate > 0)
            {
                await SetLatencyAsync(0, ct);
                var count = Math.Max(settings.Count, settings.SteadyRate * 10);
                var scenario = $"0 ms provider, steady {settings.SteadyRate}/s";
                results.Add(await MeasureAsync(publisher, scenario, worker: true, count, settings.SteadyRate, ct));
                results.Add(await MeasureAsync(publisher, scenario, worker: false, count, settings.SteadyRate, ct));
            }

            if (settings.Backlog > 0)
            {
                await SetLatencyAsync(0, ct);
                // With a start script the worker is stopped, the backlog published into its queue, and the worker
                // started on it: the cold start on a full queue is part of what is measured.
                var before = settings.WorkerStartScript is null ? "" : " published before start";
                results.Add(await MeasureAsync(publisher, $"0 ms provider, backlog {settings.Backlog}{before}", worker: true, settings.Backlog, 0, ct,
                    restartWorker: settings.WorkerStartScript is not null));
            }
        }
        finally
        {
            await SetLatencyAsync(0, CancellationToken.None);
            await bus.StopAsync(CancellationToken.None);
        }

        Print(results);
        return results.All(r => r.Completed == r.Count) ? 0 : 1;
    }

    private const int Slice = 100_000;

    private async Task<BenchResult> MeasureAsync(
        BenchPublisher publisher, string scenario, bool worker, int count, int perSecond, CancellationToken ct, bool restartWorker = false)
    {
        var name = worker ? "RefundWorker" : "textbook (MassTransit, 32)";
        var pid = worker ? _workerPid : settings.TextbookPid;
        var batch = Interlocked.Increment(ref _batch);
        var messages = await SeedAsync(batch, count, ct);
        output.WriteLine($"{scenario}: {name}, {count} refunds");
        if (restartWorker)
        {
            await WorkerRestart.StopAsync(pid, ct);
            output.WriteLine($"  worker (pid {pid}) stopped; publishing the backlog");
        }

        var load = ProcessStats.LoadAverage();
        var commitsBefore = await SettledCommitsAsync(worker ? settings.WorkerPostgres : settings.TextbookPostgres, ct);
        var cpuBefore = restartWorker ? TimeSpan.Zero : ProcessStats.Cpu(pid);
        var machineBefore = MachineCpu.Read();
        var start = Stopwatch.GetTimestamp();
        var exchange = worker ? BenchPublisher.WorkerExchange : Textbook.TextbookHost.QueueName;
        var ids = messages.Select(m => m.RequestId).ToList();
        int Done() => ids.Count(_arrivals.All.ContainsKey);

        // Outcomes are watched while the batch is still being published (a steady rate's arrive as it publishes), or
        // from the worker's start on a backlog.
        var publishing = publisher.PublishAsync(exchange, messages, perSecond, _publishedAt, ct);
        if (restartWorker)
        {
            await publishing;
            // Measured from the worker's start: refunds/s is what it does on the full queue, cold.
            output.WriteLine($"  published in {Stopwatch.GetElapsedTime(start).TotalSeconds:0} s; starting the worker");
            start = Stopwatch.GetTimestamp();
            machineBefore = MachineCpu.Read();
            pid = _workerPid = await WorkerRestart.StartAsync(settings.WorkerStartScript!, ct);
        }

        var warm = new WarmWindow(count);
        var deadline = DateTime.UtcNow + settings.Timeout;
        for (var done = Done(); done < count && !publishing.IsFaulted && DateTime.UtcNow < deadline; done = Done())
        {
            warm.Observe(done, pid);
            await Task.Delay(50, ct);
        }

        await publishing;

        var arrived = ids.Where(_arrivals.All.ContainsKey).Select(id => _arrivals.All[id]).ToList();
        var last = arrived.Count > 0 ? arrived.Max(a => a.At) : Stopwatch.GetTimestamp();
        var cpu = ProcessStats.Cpu(pid) - cpuBefore;
        var machine = MachineCpu.Read() - machineBefore;
        var elapsed = Stopwatch.GetElapsedTime(start, last);
        var commits = await SettledCommitsAsync(worker ? settings.WorkerPostgres : settings.TextbookPostgres, ct) - commitsBefore;
        var latencies = ids.Where(_arrivals.All.ContainsKey)
            .Select(id => Stopwatch.GetElapsedTime(_publishedAt[id], _arrivals.All[id].At).TotalMilliseconds).Order().ToArray();
        var outcomes = string.Join(", ", arrived.GroupBy(a => a.Kind).Select(g => $"{g.Key} {g.Count()}"));
        if (arrived.Count < count)
        {
            outcomes += $", MISSING {count - arrived.Count}";
        }

        var result = new BenchResult(scenario, name, count, arrived.Count, arrived.Count / elapsed.TotalSeconds,
            cpu.TotalMicroseconds / Math.Max(1, arrived.Count), commits / (double)count,
            LatencyStages.Percentile(latencies, 0.50), LatencyStages.Percentile(latencies, 0.99), ProcessStats.PeakRssMb(pid), outcomes, load,
            warm.CpuMicrosPerRefund);
        output.WriteLine($"  {result.PerSecond:0}/s, {result.CpuMicrosPerRefund:0} µs CPU/refund, {result.CommitsPerRefund:0.00} commits/refund, p50 {result.P50Ms:0} ms, p99 {result.P99Ms:0} ms ({outcomes})");
        output.WriteLine($"  {machine.PerRefund(cpu, arrived.Count)}");
        if (warm.Describe() is { } warmLine)
        {
            output.WriteLine($"  {warmLine}");
        }
        if (arrived.Count >= 2 * Slice)
        {
            // A backlog's throughput over time: outcomes per second of each successive 100,000, in arrival order.
            var times = arrived.Select(a => a.At).Order().ToArray();
            var slices = Enumerable.Range(0, times.Length / Slice)
                .Select(k => Slice / Stopwatch.GetElapsedTime(times[k * Slice], times[((k + 1) * Slice) - 1]).TotalSeconds).ToList();
            output.WriteLine($"  per {Slice:N0} outcomes: {string.Join(", ", slices.Select(v => $"{v:N0}/s"))}; last against first {slices[^1] / slices[0]:P0}");
        }

        if (worker && arrived.Count > 0 && arrived.Count <= 100_000)
        {
            await LatencyStages.PrintAsync(settings.WorkerPostgres, [.. ids.Where(_arrivals.All.ContainsKey)],
                id => _publishedAt[id], id => _arrivals.All[id].At, output, ct);
        }

        return result;
    }

    // NICEPAY refunds spread over many originals, so the sandbox's per-original lock is not what is measured.
    private async Task<List<RefundRequested>> SeedAsync(int batch, int count, CancellationToken ct)
    {
        const decimal each = 1_000m;
        var originals = Math.Min(count, 2_000);
        var perOriginal = (count + originals - 1) / originals;
        var prefix = $"B{_run}{batch:D2}";
        for (var start = 0; start < originals; start += 500)
        {
            var chunk = Enumerable.Range(start, Math.Min(500, originals - start)).Select(i => (object)new
            {
                provider = "nicepay", originalReferenceNo = $"{prefix}{i:D6}", originalPartnerReferenceNo = $"ORDER-{prefix}{i:D6}",
                merchantId = "IONPAYTEST", amount = each * perOriginal,
            });
            await sandbox.SeedOriginalsAsync(chunk, ct);
        }

        return Enumerable.Range(0, count).Select(i => new RefundRequested
        {
            RequestId = Guid.NewGuid(),
            Provider = "nicepay",
            PartnerRefundNo = $"R{prefix}{i:D8}",
            ExternalId = $"9{_run}{batch:D2}{i:D8}",
            MerchantId = "IONPAYTEST",
            ExternalStoreId = "NICEPAY",
            OriginalReferenceNo = $"{prefix}{i % originals:D6}",
            OriginalPartnerReferenceNo = $"ORDER-{prefix}{i % originals:D6}",
            Amount = each,
            Reason = "bench",
            AdditionalInfo = new Dictionary<string, string> { ["cancelType"] = "2" },
        }).ToList();
    }

    private async Task SetLatencyAsync(int ms, CancellationToken ct)
    {
        var body = new { latency = new { distribution = ms > 0 ? "Fixed" : "None", fixedMs = ms } };
        using var response = await sandboxHttp.PutAsJsonAsync("/_sandbox/faults/nicepay", body, ct);
        response.EnsureSuccessStatusCode();
    }

    // A backend reports its committed transactions to pg_stat_database when it goes idle, up to ~10 s later: read
    // until two reads a second apart agree (or 12 s), so a batch's commits are not counted in the next one.
    private static async Task<long> SettledCommitsAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        long previous = -1;
        for (var i = 0; i < 12; i++)
        {
            await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection))
            {
                await clear.ExecuteNonQueryAsync(ct);
            }

            await using var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", connection);
            var now = (long)(await command.ExecuteScalarAsync(ct))!;
            // The reading itself commits (read-only transactions count too): allow the reader's own few.
            if (previous >= 0 && now - previous <= 3)
            {
                return now;
            }

            previous = now;
            await Task.Delay(1_000, ct);
        }

        return previous;
    }

    private void Print(List<BenchResult> results)
    {
        output.WriteLine();
        output.WriteLine($"RefundWorker.Bench, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average at start of each batch in the last column");
        var ratio = results.GroupBy(r => r.Scenario).ToDictionary(g => g.Key, g =>
        {
            var w = g.FirstOrDefault(r => r.Consumer == "RefundWorker");
            var t = g.FirstOrDefault(r => r.Consumer != "RefundWorker");
            return w is not null && t is not null && t.PerSecond > 0 ? $"{w.PerSecond / t.PerSecond:0.0}×" : "";
        });
        static string F(double v, string format) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);
        Table.Print(output,
            ["scenario", "consumer", "refunds/s", "vs textbook", "CPU/refund", "warm CPU/refund", "commits/refund", "p50", "p99", "peak RSS", "outcomes", "load avg"],
            results.Select(r => new[]
            {
                r.Scenario, r.Consumer, F(r.PerSecond, "#,0"), r.Consumer == "RefundWorker" ? ratio[r.Scenario] : "",
                $"{F(r.CpuMicrosPerRefund, "#,0")} µs", double.IsNaN(r.WarmCpuMicrosPerRefund) ? "" : $"{F(r.WarmCpuMicrosPerRefund, "#,0")} µs",
                F(r.CommitsPerRefund, "0.00"), $"{F(r.P50Ms, "#,0")} ms", $"{F(r.P99Ms, "#,0")} ms",
                $"{F(r.PeakRssMb, "0")} MB", r.Outcomes, r.Load,
            }));
    }
}
