using Npgsql;
using NpgsqlTypes;
using RefundWorker.Operations;

namespace RefundWorker.Outbox;

/// <summary>
/// The one INSERT of events into the outbox table, over <c>unnest</c> arrays: the accept (rejections, rebuilt
/// outcomes), the outcome writer's group commit and an operator's resolution all queue their events through it.
/// An event id already queued is skipped (<c>ON CONFLICT DO NOTHING</c>): the id is the event's MessageId for good.
/// </summary>
public static class OutboxInserts
{
    /// <summary>
    /// The statement over five arrays starting at parameter <paramref name="first"/> (ids, types, payloads, operation
    /// ids, lease tokens), with <c>created_at</c> from parameter <paramref name="createdAt"/>. <paramref name="filter"/>
    /// is a WHERE clause over the unnested rows <c>e(id, type, payload, op, lease_token)</c>, or empty.
    /// </summary>
    public static string Sql(int first, int createdAt, string filter = "") =>
        $"""
        INSERT INTO outbox (id, type, payload, created_at, operation_id)
        SELECT e.id, e.type, e.payload::jsonb, ${createdAt}, e.op
        FROM unnest(${first}::uuid[], ${first + 1}::text[], ${first + 2}::text[], ${first + 3}::uuid[], ${first + 4}::uuid[]) AS e(id, type, payload, op, lease_token)
        {filter}
        ON CONFLICT (id) DO NOTHING
        """;

    /// <summary>The five arrays of <see cref="Sql"/>, in order.</summary>
    public static void AddRows(NpgsqlParameterCollection parameters, IReadOnlyList<(OutboxEnvelope Envelope, Guid? OperationId, Guid? LeaseToken)> rows)
    {
        parameters.Add(SqlArrays.Of(rows.Select(r => r.Envelope.Id).ToArray(), NpgsqlDbType.Uuid));
        parameters.Add(SqlArrays.Text(rows.Select(r => r.Envelope.Type)));
        parameters.Add(SqlArrays.Text(rows.Select(r => r.Envelope.Payload)));
        parameters.Add(SqlArrays.Of(rows.Select(r => r.OperationId).ToArray(), NpgsqlDbType.Uuid));
        parameters.Add(SqlArrays.Of(rows.Select(r => r.LeaseToken).ToArray(), NpgsqlDbType.Uuid));
    }

    /// <summary>Queues events inside the caller's transaction (the accept, an operator's resolution).</summary>
    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<(OutboxEnvelope Envelope, Guid? OperationId)> rows,
        DateTimeOffset now, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await using var cmd = new NpgsqlCommand(Sql(first: 1, createdAt: 6), conn, tx);
        AddRows(cmd.Parameters, [.. rows.Select(r => (r.Envelope, r.OperationId, (Guid?)null))]);
        cmd.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
