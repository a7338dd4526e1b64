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

    /// <summary>Queues events inside the caller's transaction (the accept, an operator's resolution), with their copies for repeats.</summary>
    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<(OutboxEnvelope Envelope, Guid? OperationId)> rows,
        DateTimeOffset now, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(conn, tx);
        var insert = new NpgsqlBatchCommand(Sql(first: 1, createdAt: 6));
        AddRows(insert.Parameters, [.. rows.Select(r => (r.Envelope, r.OperationId, (Guid?)null))]);
        insert.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(CopyToRepeats(rows.Select(r => r.Envelope.Id)));
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Copies events just queued (<paramref name="eventIds"/>) to the requests that repeat their operation under
    /// another RequestId (<c>operation_requests</c>). A statement of its own, after the one that wrote the operation's
    /// new state: in READ COMMITTED it sees a repeat whose accept held the operation's row until it committed, and an
    /// accept that comes later finds these events itself (<see cref="CopyToRepeatsSql"/> by request).
    /// </summary>
    public static NpgsqlBatchCommand CopyToRepeats(IEnumerable<Guid> eventIds)
    {
        var copy = new NpgsqlBatchCommand(CopyToRepeatsSql("b.id = ANY($1)"));
        copy.Parameters.Add(SqlArrays.Of(eventIds.ToArray(), NpgsqlDbType.Uuid));
        return copy;
    }

    /// <summary>
    /// Every event an operation queued under its own RequestId, queued again for each repeating request (filtered by
    /// <paramref name="where"/> over <c>b</c> the event and <c>r</c> the repeat), with that request's RequestId. The
    /// copy's id (its MessageId) is derived from the event's and the request's ids, so copying twice (the accept and
    /// the commit both see the pair) queues one event.
    /// </summary>
    public static string CopyToRepeatsSql(string where) =>
        $$"""
        INSERT INTO outbox (id, type, payload, created_at, operation_id)
        SELECT md5(b.id::text || r.request_id::text)::uuid, b.type, jsonb_set(b.payload, '{requestId}', to_jsonb(r.request_id::text)),
               b.created_at, b.operation_id
        FROM outbox b
        JOIN operations o ON o.id = b.operation_id AND b.payload->>'requestId' = o.request_id::text
        JOIN operation_requests r ON r.operation_id = o.id
        WHERE {{where}}
        ON CONFLICT (id) DO NOTHING
        """;
}
