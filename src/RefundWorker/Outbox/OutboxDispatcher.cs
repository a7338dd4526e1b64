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
/// between confirm and commit, or a PostgreSQL crash that loses the mark (committed without waiting for the WAL flush),
/// publishes again, with the same MessageId (the row id).
/// </summary>
/// <remarks>
/// A row RabbitMQ returns as unroutable (no queue bound to the event's exchange: nobody subscribed to that type)
/// is not marked sent, because nobody received it. It stays unsent with <c>unroutable_at</c>, the broker's reason and
/// a count, is counted on <c>refundworker.outbox.unroutable</c> and logged, and is published again after an
/// exponential backoff (<c>Worker:Unroutable:RetryBase</c> doubling up to <c>RetryMax</c>), so it is delivered once
/// a subscriber binds a queue. <c>SELECT * FROM outbox WHERE sent_at IS NULL AND unroutable_at IS NOT NULL</c> lists
/// them. Sent rows keep <c>unroutable_at</c> as a record that they once waited for a subscriber.
/// <para>
/// A row this build cannot publish at all (<see cref="UnpublishableRows"/>: a type it does not know, a payload that
/// is not a JSON object or is too large for the broker) is parked in the same transaction that claimed it:
/// <c>parked_at</c> and <c>parked_reason</c> are set, it is counted on <c>refundworker.outbox.parked</c> and logged
/// once, and it is never claimed again, so the rows behind it go out. Left unsent, a full batch of them at the head
/// of the table used to be claimed, skipped and claimed again forever. About once a minute, parked rows that this
/// build can publish (a type a newer version wrote, parked by an older replica during a rolling deploy) are released.
/// Sent rows older than the retention are deleted by <see cref="OutboxRetention"/>; parked rows are kept until an
/// operator deals with them.
/// </para>
/// </remarks>
public sealed class OutboxDispatcher(
    NpgsqlDataSource dataSource, RabbitMqOutboxPublisher publisher, OutboxSignal signal, DatabaseGate gate, IOptions<WorkerOptions> options,
    IOptions<UnroutableOutboxOptions> unroutable, TimeProvider time, ILogger<OutboxDispatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan ReleaseInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset _nextRelease;

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
                await ReleaseParkedAsync(stoppingToken);
                int settled;
                do
                {
                    settled = await DispatchBatchAsync(o.OutboxBatchSize, stoppingToken);
                }
                while (settled == o.OutboxBatchSize && !stoppingToken.IsCancellationRequested);
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

    /// <summary>
    /// Publishes one batch; returns how many rows it settled (confirmed, returned as unroutable, or parked). Fewer than
    /// the batch size means the table is drained or the broker did not confirm some: either way the loop waits for
    /// the next poll instead of claiming the same rows again at once.
    /// </summary>
    public async Task<int> DispatchBatchAsync(int limit, CancellationToken ct)
    {
        using var activity = WorkerTelemetry.Source.StartActivity("outbox.dispatch");
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var rows = new List<(Guid Id, string Type, string Payload)>();
        await using (var cmd = new NpgsqlCommand(
            """
            SELECT id, type, payload::text FROM outbox
            WHERE sent_at IS NULL AND parked_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
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
        var parked = new List<(Guid Id, string Type, string Code, string Reason)>();
        foreach (var (id, type, payload) in rows)
        {
            if (UnpublishableRows.Check(type, payload) is { } why)
            {
                parked.Add((id, type, why.Code, why.Text));
            }
            else
            {
                publishable.Add(new OutboxRow(id, type, payload));
            }
        }

        if (parked.Count > 0)
        {
            // Parked before publishing, in this transaction: if the publish below fails, they are parked all the same.
            await MarkParkedAsync(conn, tx, parked, ct);
        }

        var results = publishable.Count == 0 ? PublishResults.None : await publisher.PublishAsync(publishable, time.GetUtcNow(), ct);
        var done = results.Confirmed;
        if (done.Count > 0)
        {
            // next_attempt_at is cleared so a later re-publish of the row (a duplicate request) goes out at once.
            // The commit does not wait for the WAL flush: it records a delivery the broker already confirmed, and if a
            // PostgreSQL crash loses it the row is published again with the same MessageId (at-least-once, as any
            // crash between confirm and commit). The flush was otherwise part of every dispatch cycle, and events
            // committed meanwhile waited for it.
            await using var mark = new NpgsqlBatch(conn, tx)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"),
                    new NpgsqlBatchCommand("UPDATE outbox SET sent_at = $1, next_attempt_at = NULL WHERE id = ANY($2)")
                    {
                        Parameters =
                        {
                            new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz },
                            new NpgsqlParameter { Value = done.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                        },
                    },
                },
            };
            await mark.ExecuteNonQueryAsync(ct);
        }

        if (results.Returned.Count > 0)
        {
            await MarkUnroutableAsync(conn, tx, results.Returned, ct);
        }

        await tx.CommitAsync(ct);
        WorkerTelemetry.OutboxPublished.Add(done.Count);
        foreach (var p in parked)
        {
            // Once per row: a parked row is not claimed again.
            WorkerTelemetry.OutboxParked.Add(1, new KeyValuePair<string, object?>("reason", p.Code));
            logger.LogError(
                "Outbox row {Id} ({Type}) parked, not published: {Reason}. It stays in the outbox with parked_at and parked_reason set "
                + "and no longer holds up the rows behind it",
                p.Id, p.Type, p.Reason);
        }

        foreach (var type in results.Returned.GroupBy(r => r.Type))
        {
            var count = type.Count();
            WorkerTelemetry.OutboxUnroutable.Add(count, new KeyValuePair<string, object?>("type", type.Key));
            logger.LogWarning(
                "RabbitMQ returned {Count} {Type} event(s) as unroutable ({Reason}): no queue is bound to exchange {Exchange}, so nobody would "
                + "receive them. They stay unsent in the outbox and are published again later (first: {Id})",
                count, type.Key, type.First().Reason, RabbitMqOutboxPublisher.ExchangeOf(type.Key), type.First().Id);
        }

        return done.Count + results.Returned.Count + parked.Count;
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

    private async Task MarkParkedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<(Guid Id, string Type, string Code, string Reason)> parked, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            UPDATE outbox AS o SET parked_at = $1, parked_reason = left(r.reason, 512)
            FROM unnest($2::uuid[], $3::text[]) AS r(id, reason)
            WHERE o.id = r.id
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = parked.Select(p => p.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = parked.Select(p => p.Reason).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Un-parks rows this build can publish: the opposite of <see cref="UnpublishableRows.Check"/>, so a row
    /// released here is published, not parked again. At most once a minute; the partial index keeps it cheap.
    /// </summary>
    private async Task ReleaseParkedAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now < _nextRelease)
        {
            return;
        }

        _nextRelease = now + ReleaseInterval;
        await using var cmd = dataSource.CreateCommand(
            """
            UPDATE outbox SET parked_at = NULL, parked_reason = NULL
            WHERE parked_at IS NOT NULL AND sent_at IS NULL AND type = ANY($1)
              AND jsonb_typeof(payload) = 'object' AND length(payload::text) <= $2
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = RabbitMqOutboxPublisher.KnownTypes.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = UnpublishableRows.MaxPayloadChars, NpgsqlDbType = NpgsqlDbType.Integer });
        var released = await cmd.ExecuteNonQueryAsync(ct);
        if (released > 0)
        {
            logger.LogWarning("Released {Count} parked outbox row(s) that this build can publish; they are published now", released);
        }
    }
}
