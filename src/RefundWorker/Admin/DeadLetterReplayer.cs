using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using RabbitMQ.Client;
using RefundWorker.Admin.Persistence;
using RefundWorker.Contracts;
using RefundWorker.Outbox;
using RefundWorker.Telemetry;

namespace RefundWorker.Admin;

/// <summary>How one letter of a replay ended.</summary>
public sealed record ReplayResult(Guid Id, string Result, string? MessageId = null, int? ReplayNumber = null, string? Rule = null, string? Detail = null);

/// <summary>
/// Replays letters to the queue they failed on. Each batch holds the letters' rows locked (<c>FOR UPDATE</c>) from
/// the decision to the commit, with the publishes (confirmed by the broker) in between: two operators replaying the
/// same letter at once cannot both pass the "already replayed" check. The broker confirms before the row says
/// Replayed, so a crash in between leaves a letter that looks unreplayed but was sent — a second replay of it is a
/// duplicate the worker dedupes by key — never one marked Replayed that was not sent.
/// </summary>
public sealed class DeadLetterReplayer(NpgsqlDataSource dataSource, DeadLetterPublisher publisher, AuditLog audit, IOptions<AdminOptions> options, TimeProvider time)
{
    public const string Replayed = "replayed";
    public const string Skipped = "skipped";
    public const string Failed = "failed";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Why a letter may not be replayed now (null: it may).</summary>
    public (string Rule, string Detail)? Refusal(string status, int replayCount, bool replayable, bool edited, bool force)
    {
        if (!replayable && !edited)
        {
            return ("not-replayable", "The body was too big to keep whole; replay an edited body instead.");
        }

        if (force)
        {
            return null;
        }

        if (status == DeadLetterStatus.Discarded)
        {
            return ("discarded", "The letter was discarded; replaying it needs force.");
        }

        if (status == DeadLetterStatus.Replayed)
        {
            return ("already-replayed", "The letter was already replayed; replaying it again needs force.");
        }

        return replayCount >= options.Value.MaxReplays
            ? ("max-replays", $"The letter was replayed {replayCount} times (Admin:MaxReplays); replaying it again needs force.")
            : null;
    }

    /// <summary>Replays one batch of letters (a single replay is a batch of one, optionally with an edited body).</summary>
    public async Task<List<ReplayResult>> ReplayAsync(IReadOnlyList<Guid> ids, AdminCaller caller, string reason, bool force, JsonElement? body, Guid? jobId, string? requestId, CancellationToken ct)
    {
        var results = new List<ReplayResult>(ids.Count);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var letters = await LockAsync(conn, tx, ids, ct);
        var now = time.GetUtcNow();
        var toSend = new List<(Row Letter, Outgoing Message)>();
        foreach (var id in ids)
        {
            if (!letters.TryGetValue(id, out var l))
            {
                results.Add(new ReplayResult(id, Skipped, Rule: "exists", Detail: "No such dead letter."));
                continue;
            }

            if (Refusal(l.Status, l.ReplayCount, l.Replayable, body is not null, force) is { } refusal)
            {
                results.Add(new ReplayResult(id, Skipped, Rule: refusal.Rule, Detail: refusal.Detail));
                continue;
            }

            toSend.Add((l, Build(l, body, caller, now)));
        }

        var sent = await Task.WhenAll(toSend.Select(async s =>
        {
            using var span = ReplayTrace.Start(s.Letter.Id, s.Message.Number, s.Letter.OriginalQueue, s.Message.MessageId, s.Message.Props.Headers!);
            try
            {
                await publisher.PublishAsync(s.Letter.OriginalQueue, s.Message.Body, s.Message.Props, ct);
                return (s.Letter, s.Message, Error: (string?)null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.GetType().Name);
                return (s.Letter, s.Message, Error: e.GetType().Name + ": " + e.Message);
            }
        }));

        var auditRows = new List<AuditRecord>();
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var (letter, message, error) in sent)
        {
            if (error is not null)
            {
                results.Add(new ReplayResult(letter.Id, Failed, Detail: error));
                continue;
            }

            var entry = new JsonObject
            {
                ["number"] = message.Number,
                ["by"] = caller.Name,
                ["at"] = now,
                ["reason"] = reason,
                ["messageId"] = message.MessageId,
                ["edited"] = message.Edited,
                ["forced"] = force,
                ["job"] = jobId?.ToString(),
            };
            if (body is { } b)
            {
                entry["body"] = JsonNode.Parse(b.GetRawText());
            }

            var cmd = new NpgsqlBatchCommand(
                """
                UPDATE dead_letters SET status = 'Replayed', replay_count = replay_count + 1, replays = replays || jsonb_build_array($2::jsonb),
                    status_changed_at = $3
                WHERE id = $1
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = letter.Id, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new NpgsqlParameter { Value = entry.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            batch.BatchCommands.Add(cmd);
            auditRows.Add(new AuditRecord(caller, "dead-letter.replay", $"dead-letter:{letter.Id}", reason, AuditLog.Ok, 200,
                new { from = letter.Status, to = DeadLetterStatus.Replayed, replay = message.Number, messageId = message.MessageId, edited = message.Edited, force, job = jobId, queue = letter.OriginalQueue },
                requestId));
            results.Add(new ReplayResult(letter.Id, Replayed, message.MessageId, message.Number));
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(ct);
        }

        await audit.AppendAsync(conn, tx, auditRows, ct);
        await tx.CommitAsync(ct);
        return results;
    }

    /// <summary>
    /// Checks an edited body as the letter's contract: it must deserialize, with every required member. Returns the
    /// field at fault, or null when it is valid.
    /// </summary>
    public static AdminOutcome? ValidateEdited(string? messageType, string originalQueue, JsonElement body)
    {
        if (ContractType(messageType, originalQueue) is not { } type)
        {
            return AdminOutcome.Invalid("body", "The letter's message type is not a RefundWorker contract; an edited body cannot be checked, replay it as it is.");
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return AdminOutcome.Invalid("body", $"body must be a JSON object: the {type.Name} message (not the envelope).");
        }

        try
        {
            if (body.Deserialize(type, Json) is null)
            {
                return AdminOutcome.Invalid("body", $"body is not a {type.Name}.");
            }
        }
        catch (JsonException e)
        {
            return AdminOutcome.Invalid(e.Path is { Length: > 1 } p ? "body" + p[1..] : "body", $"body is not a valid {type.Name}: {e.Message}");
        }

        return null;
    }

    /// <summary>The contract of a letter: from its envelope's message type, or, for an unreadable body, from its queue.</summary>
    public static Type? ContractType(string? messageType, string originalQueue)
    {
        const string prefix = "urn:message:";
        if (messageType is { } mt && mt.StartsWith(prefix, StringComparison.Ordinal))
        {
            var name = mt[prefix.Length..].Replace(':', '.');
            if (typeof(RefundRequested).Assembly.GetType(name) is { } t)
            {
                return t;
            }
        }

        return originalQueue switch
        {
            "refund-requested" => typeof(RefundRequested),
            "cancel-requested" => typeof(CancelRequested),
            "cvs-payment-code-issued" => typeof(CvsPaymentCodeIssued),
            "cvs-payment-code-closed" => typeof(CvsPaymentCodeClosed),
            _ => null,
        };
    }

    private sealed record Row(Guid Id, string OriginalQueue, string? MessageId, string? MessageType, byte[] Body, bool Replayable, string? ContentType, string Headers, string Status, int ReplayCount);

    private sealed record Outgoing(ReadOnlyMemory<byte> Body, BasicProperties Props, string MessageId, int Number, bool Edited);

    private static Outgoing Build(Row l, JsonElement? body, AdminCaller caller, DateTimeOffset now)
    {
        var number = l.ReplayCount + 1;
        var headers = AmqpHeaders.ForReplay(JsonNode.Parse(l.Headers) as JsonObject, l.Id, number, caller.Name);
        if (body is { } edited)
        {
            // A copy with a new message id, in the same MassTransit envelope the outbox writes; the letter keeps the original.
            var type = ContractType(l.MessageType, l.OriginalQueue)!;
            var id = Guid.CreateVersion7(now);
            var envelope = Contracts.Wire.MassTransitEnvelope.Write(id, Contracts.Wire.MassTransitEnvelope.MessageTypeJson(type), edited.GetRawText(), now);
            var props = new BasicProperties { ContentType = Contracts.Wire.MassTransitEnvelope.ContentType, MessageId = id.ToString(), Persistent = true, Headers = headers! };
            return new Outgoing(envelope, props, id.ToString(), number, Edited: true);
        }

        // As received: same bytes, same message id.
        var same = new BasicProperties { ContentType = l.ContentType, MessageId = l.MessageId, Persistent = true, Headers = headers! };
        return new Outgoing(l.Body, same, l.MessageId ?? string.Empty, number, Edited: false);
    }

    private static async Task<Dictionary<Guid, Row>> LockAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            SELECT id, original_queue, message_id, message_type, body, replayable, content_type, headers::text, status, replay_count
            FROM dead_letters WHERE id = ANY($1) ORDER BY id FOR UPDATE
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        var rows = new Dictionary<Guid, Row>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            rows[r.GetGuid(0)] = new Row(r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                (byte[])r[4], r.GetBoolean(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetString(7), r.GetString(8), r.GetInt32(9));
        }

        return rows;
    }
}
