using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Admin.Persistence;

namespace RefundWorker.Admin;

/// <summary>Reads dead letters for the API (lists, groups, one letter) and discards them.</summary>
public sealed class DeadLetterAdmin(NpgsqlDataSource dataSource, AuditLog audit, DeadLetterReplayer replayer, TimeProvider time)
{
    private const string SummaryColumns =
        "id, source_queue, original_queue, message_id, message_type, body_size, body_truncated, replayable, fault_reason, exception_type, " +
        "exception_message, fingerprint, first_failed_at, last_failed_at, failures, status, replay_count, status_changed_at";

    public async Task<object> ListAsync(DeadLetterFilter filter, Guid? cursor, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand();
        var sql = new StringBuilder($"SELECT {SummaryColumns} FROM dead_letters WHERE true");
        filter.AppendWhere(sql, cmd.Parameters);
        if (cursor is { } c)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = c, NpgsqlDbType = NpgsqlDbType.Uuid });
            sql.Append($" AND id < ${cmd.Parameters.Count}");
        }

        cmd.Parameters.Add(new NpgsqlParameter { Value = limit + 1, NpgsqlDbType = NpgsqlDbType.Integer });
        sql.Append($" ORDER BY id DESC LIMIT ${cmd.Parameters.Count}");
        cmd.CommandText = sql.ToString();
        var items = new List<Dictionary<string, object?>>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            items.Add(Summary(r));
        }

        var next = items.Count > limit ? items[limit - 1]["id"] : null;
        return new { items = items.Take(limit), nextCursor = next };
    }

    public async Task<object> GroupsAsync(DeadLetterFilter filter, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand();
        var sql = new StringBuilder(
            """
            SELECT fingerprint, count(*), min(first_failed_at), max(last_failed_at),
                   (array_agg(coalesce(exception_type, fault_reason, 'unknown') || ': ' || coalesce(exception_message, '') ORDER BY id DESC))[1],
                   (array_agg(message_type ORDER BY id DESC))[1], (array_agg(original_queue ORDER BY id DESC))[1],
                   count(*) FILTER (WHERE status = 'New')
            FROM dead_letters WHERE true
            """);
        filter.AppendWhere(sql, cmd.Parameters);
        sql.Append(" GROUP BY fingerprint ORDER BY count(*) DESC, max(last_failed_at) DESC");
        cmd.CommandText = sql.ToString();
        var groups = new List<object>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            groups.Add(new
            {
                fingerprint = r.GetString(0),
                count = r.GetInt64(1),
                newCount = r.GetInt64(7),
                firstSeen = r.GetFieldValue<DateTimeOffset>(2),
                lastSeen = r.GetFieldValue<DateTimeOffset>(3),
                sampleReason = Cut(r.GetString(4), 500),
                messageType = r.IsDBNull(5) ? null : r.GetString(5),
                queue = r.GetString(6),
            });
        }

        return new { groups };
    }

    public async Task<object?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            $"SELECT {SummaryColumns}, body, content_type, headers::text, stack_trace, replays::text, discarded_by, discard_reason, received_at FROM dead_letters WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }

        var d = Summary(r);
        var body = (byte[])r["body"];
        // Shown as text when it is UTF-8 (it nearly always is: JSON); otherwise as base64.
        try
        {
            d["body"] = new UTF8Encoding(false, true).GetString(body);
            d["bodyEncoding"] = "utf-8";
        }
        catch (DecoderFallbackException)
        {
            d["body"] = Convert.ToBase64String(body);
            d["bodyEncoding"] = "base64";
        }

        d["contentType"] = r["content_type"] as string;
        d["headers"] = JsonNode.Parse(r.GetString(r.GetOrdinal("headers")));
        d["stackTrace"] = r["stack_trace"] as string;
        d["replays"] = JsonNode.Parse(r.GetString(r.GetOrdinal("replays")));
        d["discardedBy"] = r["discarded_by"] as string;
        d["discardReason"] = r["discard_reason"] as string;
        d["receivedAt"] = r.GetFieldValue<DateTimeOffset>(r.GetOrdinal("received_at"));
        return d;
    }

    /// <summary>The letters a bulk request names: its ids, or every letter matching its filter (oldest first).</summary>
    public async Task<List<(Guid Id, string Status, int ReplayCount, bool Replayable)>> SelectAsync(IReadOnlyList<Guid>? ids, DeadLetterFilter filter, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand();
        var sql = new StringBuilder("SELECT id, status, replay_count, replayable FROM dead_letters WHERE true");
        if (ids is { Count: > 0 })
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            sql.Append($" AND id = ANY(${cmd.Parameters.Count})");
        }

        filter.AppendWhere(sql, cmd.Parameters);
        sql.Append(" ORDER BY id");
        cmd.CommandText = sql.ToString();
        var rows = new List<(Guid, string, int, bool)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            rows.Add((r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetBoolean(3)));
        }

        return rows;
    }

    /// <summary>What a bulk replay would do, letter by letter, without doing it.</summary>
    public object Plan(List<(Guid Id, string Status, int ReplayCount, bool Replayable)> letters, bool force)
    {
        var skipped = letters
            .Select(l => (l.Id, Refusal: replayer.Refusal(l.Status, l.ReplayCount, l.Replayable, edited: false, force)))
            .Where(x => x.Refusal is not null)
            .ToList();
        return new
        {
            dryRun = true,
            matched = letters.Count,
            wouldReplay = letters.Count - skipped.Count,
            wouldSkip = skipped.Count,
            skippedBecause = skipped.GroupBy(s => s.Refusal!.Value.Rule).ToDictionary(g => g.Key, g => g.Count()),
            ids = letters.Where(l => skipped.All(s => s.Id != l.Id)).Select(l => l.Id).Take(1000),
        };
    }

    /// <summary>Discards letters (one, or many by ids or filter); each discarded letter gets its audit row in the same transaction.</summary>
    public async Task<(int Discarded, List<Guid> AlreadyDiscarded)> DiscardAsync(IReadOnlyList<Guid> ids, AdminCaller caller, string reason, string? requestId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            """
            UPDATE dead_letters d SET status = 'Discarded', discarded_by = $2, discard_reason = $3, status_changed_at = $4
            FROM (SELECT id, status FROM dead_letters WHERE id = ANY($1) AND status <> 'Discarded' FOR UPDATE) old
            WHERE d.id = old.id
            RETURNING d.id, old.status
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = caller.Name, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = reason, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var rows = new List<AuditRecord>();
        var done = new HashSet<Guid>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                done.Add(r.GetGuid(0));
                rows.Add(new AuditRecord(caller, "dead-letter.discard", $"dead-letter:{r.GetGuid(0)}", reason, AuditLog.Ok, 200,
                    new { from = r.GetString(1), to = DeadLetterStatus.Discarded }, requestId));
            }
        }

        await audit.AppendAsync(conn, tx, rows, ct);
        await tx.CommitAsync(ct);
        return (done.Count, ids.Where(i => !done.Contains(i)).ToList());
    }

    private static Dictionary<string, object?> Summary(NpgsqlDataReader r) => new()
    {
        ["id"] = r.GetGuid(0),
        ["sourceQueue"] = r.GetString(1),
        ["originalQueue"] = r.GetString(2),
        ["messageId"] = r.IsDBNull(3) ? null : r.GetString(3),
        ["messageType"] = r.IsDBNull(4) ? null : r.GetString(4),
        ["bodySize"] = r.GetInt32(5),
        ["bodyTruncated"] = r.GetBoolean(6),
        ["replayable"] = r.GetBoolean(7),
        ["faultReason"] = r.IsDBNull(8) ? null : r.GetString(8),
        ["exceptionType"] = r.IsDBNull(9) ? null : r.GetString(9),
        ["exceptionMessage"] = r.IsDBNull(10) ? null : r.GetString(10),
        ["fingerprint"] = r.GetString(11),
        ["firstFailedAt"] = r.GetFieldValue<DateTimeOffset>(12),
        ["lastFailedAt"] = r.GetFieldValue<DateTimeOffset>(13),
        ["failures"] = r.GetInt32(14),
        ["status"] = r.GetString(15),
        ["replayCount"] = r.GetInt32(16),
        ["statusChangedAt"] = r.IsDBNull(17) ? null : r.GetFieldValue<DateTimeOffset>(17),
    };

    private static string Cut(string s, int max) => s.Length > max ? s[..max] + "…" : s;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
