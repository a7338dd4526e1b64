using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RefundWorker.Admin.Persistence;
using RefundWorker.Extensions;
using RefundWorker.Options;

namespace RefundWorker.Admin;

/// <summary>
/// Moves the worker's error queues into <c>dead_letters</c>: basic.get with manual ack, a batch committed in one
/// transaction, then acked. A crash between the commit and the ack redelivers the batch, and the delivery key stores
/// each delivery once. A replay that fails again (it carries <see cref="AmqpHeaders.DeadLetterId"/>) comes back to its
/// letter instead of starting a new one. Also deletes replayed and discarded letters after
/// <c>Admin:DeadLetterRetention</c>.
/// </summary>
public sealed class DeadLetterDrain(
    IOptions<AdminOptions> options, IOptions<ConnectionStringsOptions> connectionStrings, NpgsqlDataSource dataSource, TimeProvider time,
    ILogger<DeadLetterDrain> logger) : BackgroundService
{
    private const int BatchSize = 200;
    private readonly RabbitMqLink _link = new(() => new Uri(connectionStrings.Value.RabbitMq!), "RefundWorker dead-letter drain");
    private DateTimeOffset _nextCleanup = DateTimeOffset.MinValue;

    /// <summary>Letters stored since start (tests and the demo wait on it).</summary>
    public long Drained => Interlocked.Read(ref _drained);

    private long _drained;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                foreach (var queue in o.DrainedQueues)
                {
                    more |= await DrainQueueAsync(queue, stoppingToken) == BatchSize;
                }

                if (time.GetUtcNow() >= _nextCleanup)
                {
                    await CleanupAsync(stoppingToken);
                    _nextCleanup = time.GetUtcNow() + TimeSpan.FromMinutes(10);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or BrokerUnreachableException
                                          or AlreadyClosedException or OperationInterruptedException or InvalidOperationException)
            {
                logger.LogWarning(e, "Draining the error queues failed; retrying in {Interval}", o.DrainInterval);
                await ResetAsync();
            }

            if (!more)
            {
                try
                {
                    await Task.Delay(o.DrainInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await ResetAsync();
    }

    private async Task<int> DrainQueueAsync(string queue, CancellationToken ct)
    {
        var channel = await ChannelAsync(ct);
        try
        {
            await channel.QueueDeclarePassiveAsync(queue, ct);
        }
        catch (OperationInterruptedException)
        {
            // Not declared yet (no fault so far on that endpoint): the channel is closed by the broker; open another.
            await ResetAsync();
            return 0;
        }

        var batch = new List<BasicGetResult>(BatchSize);
        while (batch.Count < BatchSize && await channel.BasicGetAsync(queue, autoAck: false, ct) is { } got)
        {
            batch.Add(got);
        }

        if (batch.Count == 0)
        {
            return 0;
        }

        var last = batch[^1].DeliveryTag;
        try
        {
            await StoreAsync(queue, batch, ct);
        }
        catch
        {
            await channel.BasicNackAsync(last, multiple: true, requeue: true, CancellationToken.None);
            throw;
        }

        // Only now: the rows are committed.
        await channel.BasicAckAsync(last, multiple: true, CancellationToken.None);
        Interlocked.Add(ref _drained, batch.Count);
        logger.LogInformation("Drained {Count} dead letters from {Queue}", batch.Count, queue);
        return batch.Count;
    }

    private async Task StoreAsync(string queue, List<BasicGetResult> batch, CancellationToken ct)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        foreach (var m in batch)
        {
            var letter = Read(queue, m, o.MaxBodyBytes, now);
            if (AmqpHeaders.String(m.BasicProperties.Headers, AmqpHeaders.DeadLetterId) is { } replayOf && Guid.TryParse(replayOf, out var letterId)
                && await FailedAgainAsync(conn, tx, letterId, letter, ct))
            {
                continue;
            }

            await InsertAsync(conn, tx, letter, ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>The row of one delivery, parsed as far as it can be; never throws on a bad body.</summary>
    internal static DeadLetter Read(string queue, BasicGetResult m, int maxBodyBytes, DateTimeOffset now)
    {
        var body = m.Body.ToArray();
        var props = m.BasicProperties;
        var h = props.Headers;
        string? envelopeId = null, messageType = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("messageId", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    envelopeId = id.GetString();
                }

                if (doc.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0)
                {
                    messageType = types[0].GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON at all: kept as bytes, grouped as "unreadable".
        }

        var reason = AmqpHeaders.String(h, "MT-Reason");
        var exceptionType = AmqpHeaders.String(h, "MT-Fault-ExceptionType");
        var message = AmqpHeaders.String(h, "MT-Fault-Message");
        var failedAt = DateTimeOffset.TryParse(AmqpHeaders.String(h, "MT-Fault-Timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts) ? ts : now;
        var messageId = props.MessageId ?? envelopeId;
        var truncated = body.Length > maxBodyBytes;
        var kept = truncated ? body[..maxBodyBytes] : body;
        var key = SHA256.HashData(Encoding.UTF8.GetBytes($"{queue}\n{messageId}\n{AmqpHeaders.String(h, "MT-Fault-Timestamp")}\n{Convert.ToHexString(SHA256.HashData(body))}"));
        return new DeadLetter
        {
            Id = Guid.CreateVersion7(now),
            SourceQueue = queue,
            OriginalQueue = queue.EndsWith("_error", StringComparison.Ordinal) ? queue[..^"_error".Length] : queue,
            MessageId = Cut(messageId, 256),
            MessageType = Cut(messageType, 512),
            Body = kept,
            BodySize = body.Length,
            BodyTruncated = truncated,
            Replayable = !truncated,
            ContentType = Cut(props.ContentType, 256),
            Headers = AmqpHeaders.ToJson(props).ToJsonString(),
            FaultReason = Cut(reason, 64),
            ExceptionType = Cut(exceptionType, 512),
            ExceptionMessage = message,
            StackTrace = AmqpHeaders.String(h, "MT-Fault-StackTrace"),
            Fingerprint = DeadLetterFingerprint.Compute(exceptionType, message, messageType, reason),
            FirstFailedAt = failedAt,
            LastFailedAt = failedAt,
            Failures = 1,
            Status = DeadLetterStatus.New,
            DeliveryKey = Convert.ToHexStringLower(key),
            ReceivedAt = now,
        };
    }

    private static async Task<bool> FailedAgainAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid letterId, DeadLetter again, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            UPDATE dead_letters SET failures = failures + 1, last_failed_at = $2, status = 'New', status_changed_at = $3,
                fault_reason = $4, exception_type = $5, exception_message = $6, stack_trace = $7, fingerprint = $8
            WHERE id = $1
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = letterId, NpgsqlDbType = NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = again.LastFailedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = again.ReceivedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(N(again.FaultReason));
        cmd.Parameters.Add(N(again.ExceptionType));
        cmd.Parameters.Add(N(again.ExceptionMessage));
        cmd.Parameters.Add(N(again.StackTrace));
        cmd.Parameters.Add(N(again.Fingerprint));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    private static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DeadLetter l, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            INSERT INTO dead_letters (id, source_queue, original_queue, message_id, message_type, body, body_size, body_truncated,
                replayable, content_type, headers, fault_reason, exception_type, exception_message, stack_trace, fingerprint,
                first_failed_at, last_failed_at, failures, status, replay_count, replays, delivery_key, received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15, $16, $17, $18, 1, 'New', 0, '[]', $19, $20)
            ON CONFLICT (delivery_key) DO NOTHING
            """, conn, tx);
        var p = cmd.Parameters;
        p.Add(new NpgsqlParameter { Value = l.Id, NpgsqlDbType = NpgsqlDbType.Uuid });
        p.Add(N(l.SourceQueue));
        p.Add(N(l.OriginalQueue));
        p.Add(N(l.MessageId));
        p.Add(N(l.MessageType));
        p.Add(new NpgsqlParameter { Value = l.Body, NpgsqlDbType = NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter { Value = l.BodySize, NpgsqlDbType = NpgsqlDbType.Integer });
        p.Add(new NpgsqlParameter { Value = l.BodyTruncated, NpgsqlDbType = NpgsqlDbType.Boolean });
        p.Add(new NpgsqlParameter { Value = l.Replayable, NpgsqlDbType = NpgsqlDbType.Boolean });
        p.Add(N(l.ContentType));
        p.Add(N(l.Headers));
        p.Add(N(l.FaultReason));
        p.Add(N(l.ExceptionType));
        p.Add(N(l.ExceptionMessage));
        p.Add(N(l.StackTrace));
        p.Add(N(l.Fingerprint));
        p.Add(new NpgsqlParameter { Value = l.FirstFailedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter { Value = l.LastFailedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(N(l.DeliveryKey));
        p.Add(new NpgsqlParameter { Value = l.ReceivedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task CleanupAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "DELETE FROM dead_letters WHERE status IN ('Replayed', 'Discarded') AND status_changed_at < $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() - options.Value.DeadLetterRetention, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var deleted = await cmd.ExecuteNonQueryAsync(ct);
        if (deleted > 0)
        {
            logger.LogInformation("Deleted {Count} replayed or discarded dead letters past Admin:DeadLetterRetention", deleted);
        }
    }

    private Task<IChannel> ChannelAsync(CancellationToken ct) => _link.ChannelAsync(null, ct);

    private Task ResetAsync() => _link.ResetAsync();

    private static string? Cut(string? s, int max) => s is { } v && v.Length > max ? v[..max] : s;

    private static NpgsqlParameter N(string? v) => new() { Value = (object?)v ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
