using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
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
[Collection(WorkerCollection.Name)]
public sealed class ThroughputBenchmark(WorkerFixture fx, ITestOutputHelper output)
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

        var commitsBefore = await CommitsAsync();
        var sw = Stopwatch.StartNew();
        foreach (var chunk in requests.Chunk(500))
        {
            await Task.WhenAll(chunk.Select(r => fx.PublishAsync(r)));
        }

        var published = sw.Elapsed;
        await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromMinutes(10));
        var elapsed = sw.Elapsed;
        var commits = await CommitsAsync() - commitsBefore;

        var succeeded = requests.Count(r => fx.Outcomes.For(r.RequestId).Any(e => e.Message is RefundSucceeded));
        output.WriteLine($"{n} refunds: published in {published.TotalSeconds:F1}s, all outcomes in {elapsed.TotalSeconds:F1}s = {n / elapsed.TotalSeconds:F0} refunds/s end to end; {succeeded} succeeded; {commits} PostgreSQL commits ({(double)commits / n:F2} per refund)");
        Assert.Equal(n, succeeded);
    }

    private async Task<long> CommitsAsync()
    {
        await using var cmd = fx.Database.DataSource.CreateCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
