using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace RefundWorker.Admin;

/// <summary>One audit row to append.</summary>
public sealed record AuditRecord(
    AdminCaller Caller, string Action, string Target, string? Reason, string Outcome, int StatusCode, object? Detail, string? RequestId);

/// <summary>
/// Appends to <c>audit_log</c>. A change writes its row in the change's own transaction (both or neither); a refusal
/// writes its row alone. Nothing here ever holds a key: callers pass an <see cref="AdminCaller"/>, not a header.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource dataSource, TimeProvider time)
{
    public const string Ok = "ok";
    public const string Refused = "refused";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task AppendAsync(AuditRecord record, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await AppendAsync(conn, null, [record], ct);
    }

    public async Task AppendAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<AuditRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
        {
            return;
        }

        await using var cmd = new NpgsqlCommand(
            """
            INSERT INTO audit_log (at, actor, role, action, target, reason, outcome, status_code, detail, request_id)
            SELECT $1, a.actor, a.role, a.action, a.target, a.reason, a.outcome, a.status_code, a.detail::jsonb, a.request_id
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[])
                AS a(actor, role, action, target, reason, outcome, status_code, detail, request_id)
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(Text(records.Select(r => r.Caller.Name)));
        cmd.Parameters.Add(Text(records.Select(r => r.Caller.Role)));
        cmd.Parameters.Add(Text(records.Select(r => r.Action)));
        cmd.Parameters.Add(Text(records.Select(r => Cut(r.Target, 256))));
        cmd.Parameters.Add(Text(records.Select(r => r.Reason)));
        cmd.Parameters.Add(Text(records.Select(r => r.Outcome)));
        cmd.Parameters.Add(new NpgsqlParameter { Value = records.Select(r => r.StatusCode).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        cmd.Parameters.Add(Text(records.Select(r => r.Detail is null ? null : JsonSerializer.Serialize(r.Detail, Json))));
        cmd.Parameters.Add(Text(records.Select(r => r.RequestId is null ? null : Cut(r.RequestId, 128))));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string Cut(string s, int max) => s.Length > max ? s[..max] : s;

    private static NpgsqlParameter Text(IEnumerable<string?> values)
        => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
