using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Availability;
using RefundWorker.Options;

namespace RefundWorker.Outbox;

/// <summary>
/// Deletes sent outbox rows older than <c>Worker:OutboxRetention</c>. Every <c>Worker:OutboxCleanup:Interval</c> a pass
/// deletes batches of <c>BatchSize</c> rows, one short transaction each, with <c>Pause</c> between them, until no old
/// row is left: the table is bounded by what was sent within the retention, whatever the event rate.
/// </summary>
/// <remarks>
/// It used to delete at most 10,000 rows per 10 minutes per replica, about 17 rows/s, while the worker can publish
/// 1,500 events/s: under sustained load the table only grew. A pass now keeps going until done; the pause between
/// batches leaves PostgreSQL room for the accept and outcome transactions, and the batches are claimed with
/// <c>FOR UPDATE SKIP LOCKED</c>, so replicas running a pass at the same time share the rows instead of waiting for
/// each other. It runs apart from <see cref="OutboxDispatcher"/>, so a long pass never delays publishing. Unsent
/// rows (pending, unroutable or parked) are never deleted.
/// </remarks>
public sealed class OutboxRetention(
    NpgsqlDataSource dataSource, DatabaseGate gate, IOptions<WorkerOptions> worker, IOptions<OutboxCleanupOptions> options,
    TimeProvider time, ILogger<OutboxRetention> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await gate.WaitUntilOpenAsync(stoppingToken);
                await DeleteExpiredAsync(stoppingToken);
                await Task.Delay(options.Value.Interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Outbox cleanup failed; trying again at the next interval");
                try
                {
                    await Task.Delay(options.Value.Interval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One pass: deletes batches until no sent row older than the retention is left; returns how many.</summary>
    public async Task<long> DeleteExpiredAsync(CancellationToken ct)
    {
        var o = options.Value;
        var retention = worker.Value.OutboxRetention;
        // One cutoff per pass: rows that age past the retention during the pass are left for the next one, so a pass
        // always ends.
        var cutoff = time.GetUtcNow() - retention;
        var started = Stopwatch.GetTimestamp();
        long total = 0;
        var batches = 0;
        while (true)
        {
            int deleted;
            await using (var cmd = dataSource.CreateCommand(
                """
                DELETE FROM outbox WHERE id IN (
                    SELECT id FROM outbox WHERE sent_at < $1 ORDER BY sent_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                """))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = cutoff, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                cmd.Parameters.Add(new NpgsqlParameter { Value = o.BatchSize, NpgsqlDbType = NpgsqlDbType.Integer });
                deleted = await cmd.ExecuteNonQueryAsync(ct);
            }

            total += deleted;
            batches++;
            if (deleted < o.BatchSize)
            {
                break;
            }

            if (o.Pause > TimeSpan.Zero)
            {
                await Task.Delay(o.Pause, time, ct);
            }
        }

        if (total > 0)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            logger.LogInformation(
                "Deleted {Count} sent outbox rows older than {Retention} in {Batches} batch(es), {Seconds:F1} s ({Rate:F0} rows/s)",
                total, retention, batches, elapsed.TotalSeconds, total / Math.Max(elapsed.TotalSeconds, 0.001));
        }

        return total;
    }
}
