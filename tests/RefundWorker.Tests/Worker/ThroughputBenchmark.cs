using System.Diagnostics;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RefundWorker.Tests.Worker;

/// <summary>Runs only when RW_BENCH is set (e.g. RW_BENCH=20000): a measurement, never a timed pass/fail test.</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("RW_BENCH")))
        {
            Skip = "Benchmark: set RW_BENCH=<number of refunds> to run it.";
        }
    }
}

/// <summary>
/// End-to-end throughput on this machine: publish N refunds, wait for N outcome events. Everything shares the two
/// cores: RabbitMQ, PostgreSQL, the sandbox, the publisher/subscriber and the worker.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ThroughputBenchmark(ProcessFixture fx, ITestOutputHelper output)
{
    [BenchmarkFact]
    public async Task Should_report_end_to_end_refunds_per_second_when_benchmarked()
    {
        var n = int.Parse(Environment.GetEnvironmentVariable("RW_BENCH")!, System.Globalization.CultureInfo.InvariantCulture);
        var requests = new List<RefundRequested>(n);
        for (var i = 0; i < n / 10; i++)
        {
            var nicepay = i % 2 == 0;
            var original = nicepay ? fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant) : fx.Sandbox.Original("bnc");
            for (var j = 0; j < 10; j++)
            {
                requests.Add(nicepay ? Requests.NicepayRefund(original, 1_000m) : Requests.BankRefund(original, 1_000m));
            }
        }

        // The worker runs as its own process with production defaults (Worker:Concurrency 1024), so its CPU can be
        // told apart from the sandbox's and the test's.
        var settings = fx.WorkerSettings();
        settings.Remove("Worker:Concurrency");
        settings["Worker:LeaseDuration"] = "00:01:00";
        settings["Worker:Defaults:CallTimeout"] = "00:00:30";
        await using var worker = await WorkerProcess.StartAsync(settings);
        var workerBefore = ProcessCpu(worker.Id);
        var commitsBefore = await CommitsAsync();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var serversBefore = ServerCpu();
        var sw = Stopwatch.StartNew();
        foreach (var chunk in requests.Chunk(500))
        {
            await Task.WhenAll(chunk.Select(r => fx.PublishAsync(r)));
        }

        var published = sw.Elapsed;
        await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromMinutes(10));
        var elapsed = sw.Elapsed;
        var commits = await CommitsAsync() - commitsBefore;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var workerCpu = ProcessCpu(worker.Id) - workerBefore;
        var servers = ServerCpu();

        var succeeded = requests.Count(r => fx.Outcomes.For(r.RequestId).Any(e => e.Message is RefundSucceeded));
        output.WriteLine($"{n} refunds: published in {published.TotalSeconds:F1}s, all outcomes in {elapsed.TotalSeconds:F1}s = {n / elapsed.TotalSeconds:F0} refunds/s end to end; {succeeded} succeeded; {commits} PostgreSQL commits ({(double)commits / n:F2} per refund)");
        // CPU per refund is what a shared machine cannot distort: capacity on 2 cores is about 2 s / (CPU per refund).
        output.WriteLine($"CPU per refund: worker process {workerCpu * 1_000_000 / n:F0} us; test process (sandbox + publisher + subscriber) {cpu.TotalMilliseconds * 1000 / n:F0} us; " +
            $"RabbitMQ {(servers.Rabbit - serversBefore.Rabbit) * 1_000_000 / n:F0} us; PostgreSQL {(servers.Postgres - serversBefore.Postgres) * 1_000_000 / n:F0} us");
        Assert.Equal(n, succeeded);
    }

    private static double ProcessCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100;
    }

    /// <summary>CPU seconds used so far by RabbitMQ (beam.smp) and PostgreSQL processes, from /proc (Linux only).</summary>
    private static (double Rabbit, double Postgres) ServerCpu()
    {
        double rabbit = 0, postgres = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                var seconds = (double.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100;
                if (name == "beam.smp")
                {
                    rabbit += seconds;
                }
                else if (name == "postgres")
                {
                    postgres += seconds;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
            }
        }

        return (rabbit, postgres);
    }

    private async Task<long> CommitsAsync()
    {
        await using var cmd = fx.Database.DataSource.CreateCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
