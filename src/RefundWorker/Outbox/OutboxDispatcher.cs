using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Availability;
using RefundWorker.Options;
using RefundWorker.Telemetry;

namespace RefundWorker.Outbox;

/// <summary>
/// Publishes outbox rows and marks them sent. One transaction per batch: claim up to <c>Worker:OutboxBatchSize</c>
/// unsent rows (<c>FOR UPDATE SKIP LOCKED</c>, so replicas share the work), publish them concurrently — each
/// awaited until RabbitMQ confirms it (<see cref="RabbitMqOutboxPublisher"/>) — then mark the confirmed ones sent.
/// Woken by <see cref="OutboxSignal"/> after each commit that added events; polls every
/// <c>Worker:OutboxPollInterval</c> for rows other processes left behind. Delivery is at-least-once: a crash
/// between confirm and commit publishes again, with the same MessageId (the row id).
/// </summary>
public sealed class OutboxDispatcher(
    NpgsqlDataSource dataSource, RabbitMqOutboxPublisher publisher, OutboxSignal signal, DatabaseGate gate, IOptions<WorkerOptions> options, TimeProvider time,
    ILogger<OutboxDispatcher> logger)
    : BackgroundService
{
    private DateTimeOffset _nextCleanup;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // While PostgreSQL is away (or not migrated) there is nothing to read: wait for the gate instead of
                // failing, and logging, every poll.
                await gate.WaitUntilOpenAsync(stoppingToken);
                int sent;
                do
                {
                    sent = await DispatchBatchAsync(o.OutboxBatchSize, stoppingToken);
                }
                while (sent == o.OutboxBatchSize && !stoppingToken.IsCancellationRequested);

                await CleanupAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Outbox dispatch failed; retrying at the next poll");
            }

            try
            {
                await signal.WaitAsync(o.OutboxPollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Publishes one batch; returns how many rows it claimed.</summary>
    public async Task<int> DispatchBatchAsync(int limit, CancellationToken ct)
    {
        using var activity = WorkerTelemetry.Source.StartActivity("outbox.dispatch");
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var rows = new List<(Guid Id, string Type, string Payload)>();
        await using (var cmd = new NpgsqlCommand(
            "SELECT id, type, payload::text FROM outbox WHERE sent_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED", conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = limit, NpgsqlDbType = NpgsqlDbType.Integer });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        activity?.SetTag("batch.size", rows.Count);
        var publishable = new List<OutboxRow>(rows.Count);
        foreach (var (id, type, payload) in rows)
        {
            if (RabbitMqOutboxPublisher.IsKnownType(type))
            {
                publishable.Add(new OutboxRow(id, type, payload));
            }
            else
            {
                // Not ours to publish (a type from a newer version?): leave it for a process that knows it.
                logger.LogError("Outbox row {Id} has unknown type {Type}; left unsent", id, type);
            }
        }

        var done = publishable.Count == 0 ? [] : await publisher.PublishAsync(publishable, time.GetUtcNow(), ct);
        if (done.Count > 0)
        {
            await using var mark = new NpgsqlCommand("UPDATE outbox SET sent_at = $1 WHERE id = ANY($2)", conn, tx);
            mark.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            mark.Parameters.Add(new NpgsqlParameter { Value = done.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await mark.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        WorkerTelemetry.OutboxPublished.Add(done.Count);
        return rows.Count;
    }

    private async Task CleanupAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now < _nextCleanup)
        {
            return;
        }

        _nextCleanup = now + TimeSpan.FromMinutes(10);
        await using var cmd = dataSource.CreateCommand(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at < $1 LIMIT 10000)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = now - options.Value.OutboxRetention, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var deleted = await cmd.ExecuteNonQueryAsync(ct);
        if (deleted > 0)
        {
            logger.LogInformation("Deleted {Count} sent outbox rows older than {Retention}", deleted, options.Value.OutboxRetention);
        }
    }
}
