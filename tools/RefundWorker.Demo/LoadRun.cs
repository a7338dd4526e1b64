using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Npgsql;
using RefundWorker.Contracts;

namespace RefundWorker.Demo;

/// <summary>
/// The end-to-end load figure: N NICEPAY refunds published at once, timed from the first publish to the last
/// outcome event, with PostgreSQL's committed transactions counted over the same window (pg_stat_database).
/// Bounded in count and time; talks only to the loopback services the settings name. The requests are published
/// with <see cref="RawPublisher"/> (MassTransit's wire format with publisher confirms, without its CPU cost, which
/// on the 2-core machine is taken from the worker being measured); <c>DEMO_PUBLISHER=masstransit</c> publishes
/// through the MassTransit bus instead.
/// </summary>
public sealed class LoadRun(DemoSettings settings, SandboxAdmin sandbox, TextWriter output)
{
    public async Task<int> RunAsync(int count, int originals, CancellationToken ct)
    {
        var run = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
        var collector = new OutcomeCollector();
        var (bus, services) = await Bus.StartAsync(settings, collector, $"refundworker-load-{run}", ct);
        await using var _ = services;
        try
        {
            // Many originals, so the sandbox's per-original lock is not what is measured.
            const decimal each = 1_000m;
            var perOriginal = (count + originals - 1) / originals;
            for (var start = 0; start < originals; start += 500)
            {
                var chunk = Enumerable.Range(start, Math.Min(500, originals - start)).Select(i => (object)new
                {
                    provider = "nicepay", originalReferenceNo = $"LOAD{run}{i:D6}", originalPartnerReferenceNo = $"ORDER-LOAD{run}{i:D6}",
                    merchantId = "IONPAYTEST", amount = each * perOriginal,
                });
                await sandbox.SeedOriginalsAsync(chunk, ct);
            }

            var messages = Enumerable.Range(0, count).Select(i => new RefundRequested
            {
                RequestId = Guid.NewGuid(),
                Provider = "nicepay",
                PartnerRefundNo = $"LR{run}{i:D8}",
                ExternalId = $"8{run}{i:D8}",
                MerchantId = "IONPAYTEST",
                ExternalStoreId = "NICEPAY",
                OriginalReferenceNo = $"LOAD{run}{i % originals:D6}",
                OriginalPartnerReferenceNo = $"ORDER-LOAD{run}{i % originals:D6}",
                Amount = each,
                Reason = "load test",
                AdditionalInfo = new Dictionary<string, string> { ["cancelType"] = "2" },
            }).ToList();

            var commitsBefore = await CommitsAsync(ct);
            var clock = Stopwatch.StartNew();
            output.WriteLine($"Publishing {count} refunds...");
            if (Environment.GetEnvironmentVariable("DEMO_PUBLISHER") == "masstransit")
            {
                foreach (var batch in messages.Chunk(1_000))
                {
                    await Task.WhenAll(batch.Select(m => bus.Publish(m, ct)));
                }
            }
            else
            {
                // What MassTransit would put on the wire, at a fraction of its CPU (see RawPublisher).
                await RawPublisher.PublishAsync(settings.RabbitMqUri, messages, m => m.RequestId, ct);
            }

            var published = clock.Elapsed;
            var ids = messages.Select(m => m.RequestId).ToHashSet();
            var complete = await Progress.WaitAsync(output, () => collector.Count, count, settings.Timeout, ct);
            var elapsed = clock.Elapsed;
            var commits = await CommitsAsync(ct) - commitsBefore;

            var kinds = collector.Outcomes.Values.Where(o => ids.Contains(o.RequestId)).GroupBy(o => o.Kind)
                .Select(g => $"{g.Key} {g.Count()}");
            output.WriteLine();
            Table.Print(output, ["measure", "value"],
            [
                ["refunds", count.ToString(CultureInfo.InvariantCulture)],
                ["published in", $"{published.TotalSeconds:0.00} s"],
                ["all outcomes in", $"{elapsed.TotalSeconds:0.00} s"],
                ["end-to-end throughput", $"{collector.Count / elapsed.TotalSeconds:0} refunds/s"],
                ["outcomes", string.Join(", ", kinds)],
                ["PostgreSQL commits (whole database)", commits is { } c ? c.ToString(CultureInfo.InvariantCulture) : "n/a (ConnectionStrings__Postgres unset)"],
                ["commits per refund", commits is { } c2 ? (c2 / (double)count).ToString("0.00", CultureInfo.InvariantCulture) : "n/a"],
            ]);
            return complete ? 0 : 1;
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }

    private async Task<long?> CommitsAsync(CancellationToken ct)
    {
        if (settings.Postgres is null)
        {
            return null;
        }

        await using var connection = new NpgsqlConnection(settings.Postgres);
        await connection.OpenAsync(ct);
        // Statistics are cached per transaction and flushed with a delay: clear the snapshot, read fresh.
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection))
        {
            await clear.ExecuteNonQueryAsync(ct);
        }

        await using var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
