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
/// <remarks>
/// A row RabbitMQ returns as unroutable (no queue bound to the event's exchange: nobody subscribed to that type)
/// is not marked sent, because nobody received it. It stays unsent with <c>unroutable_at</c>, the broker's reason and
/// a count, is counted on <c>refundworker.outbox.unroutable</c> and logged, and is published again after an
/// exponential backoff (<c>Worker:Unroutable:RetryBase</c> doubling up to <c>RetryMax</c>), so it is delivered once
/// a subscriber binds a queue. <c>SELECT * FROM outbox WHERE sent_at IS NULL AND unroutable_at IS NOT NULL</c> lists
/// them. Sent rows keep <c>unroutable_at</c> as a record that they once waited for a subscriber.
/// </remarks>
public sealed class OutboxDispatcher(
    NpgsqlDataSource dataSource, RabbitMqOutboxPublisher publisher, OutboxSignal signal, DatabaseGate gate, IOptions<WorkerOptions> options,
    IOptions<UnroutableOutboxOptions> unroutable, TimeProvider time, ILogger<OutboxDispatcher> logger)
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
            """
            SELECT id, type, payload::text FROM outbox
            WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
            ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
            """, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = limit, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
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

        var results = publishable.Count == 0 ? PublishResults.None : await publisher.PublishAsync(publishable, time.GetUtcNow(), ct);
        var done = results.Confirmed;
        if (done.Count > 0)
        {
            // next_attempt_at is cleared so a later re-publish of the row (a duplicate request) goes out at once.
            await using var mark = new NpgsqlCommand("UPDATE outbox SET sent_at = $1, next_attempt_at = NULL WHERE id = ANY($2)", conn, tx);
            mark.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            mark.Parameters.Add(new NpgsqlParameter { Value = done.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await mark.ExecuteNonQueryAsync(ct);
        }

        if (results.Returned.Count > 0)
        {
            await MarkUnroutableAsync(conn, tx, results.Returned, ct);
        }

        await tx.CommitAsync(ct);
        WorkerTelemetry.OutboxPublished.Add(done.Count);
        foreach (var type in results.Returned.GroupBy(r => r.Type))
        {
            var count = type.Count();
            WorkerTelemetry.OutboxUnroutable.Add(count, new KeyValuePair<string, object?>("type", type.Key));
            logger.LogWarning(
                "RabbitMQ returned {Count} {Type} event(s) as unroutable ({Reason}): no queue is bound to exchange {Exchange}, so nobody would "
                + "receive them. They stay unsent in the outbox and are published again later (first: {Id})",
                count, type.Key, type.First().Reason, RabbitMqOutboxPublisher.ExchangeOf(type.Key), type.First().Id);
        }

        return rows.Count;
    }

    /// <summary>Records the return and schedules the next try: RetryBase x 2^(returns so far), at most RetryMax.</summary>
    private async Task MarkUnroutableAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<ReturnedRow> returned, CancellationToken ct)
    {
        var o = unroutable.Value;
        await using var cmd = new NpgsqlCommand(
            """
            UPDATE outbox AS o SET
                unroutable_count = o.unroutable_count + 1,
                unroutable_at = $1,
                unroutable_reason = left(r.reason, 256),
                next_attempt_at = $1 + make_interval(secs => least($4, $3 * power(2, least(o.unroutable_count, 30))))
            FROM unnest($2::uuid[], $5::text[]) AS r(id, reason)
            WHERE o.id = r.id
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = returned.Select(r => r.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = o.RetryBase.TotalSeconds, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = o.RetryMax.TotalSeconds, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = returned.Select(r => r.Reason).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
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
