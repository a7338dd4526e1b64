using Npgsql;
using NpgsqlTypes;
using RefundWorker.Outbox;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

// The commit stage: decided transitions are written by the outcome writer's group commit.
public sealed partial class OperationStore
{
    /// <summary>
    /// One group commit: every transition, its outcome event and every attempt, in one implicit transaction (one
    /// round trip). A transition applies only while its lease token is current, and its event is written only if it
    /// applied, so a replica that lost its lease can never publish an outcome. Attempts are recorded regardless:
    /// they happened. Returns the operation ids whose transition applied; <paramref name="applied"/>, when given,
    /// receives each applied operation's kind and creation time (for the request-to-outcome latency).
    /// </summary>
    public async Task<HashSet<Guid>> WriteTransitionsAsync(
        IReadOnlyList<Transition> transitions, DateTimeOffset now, CancellationToken ct, Dictionary<Guid, (string Kind, DateTimeOffset CreatedAt)>? applied = null)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn);

        var withEvent = transitions.Where(t => t.Event is not null).ToList();
        // The event is written only with the transition it belongs to: same operation, same (still current) lease.
        var update = new NpgsqlBatchCommand(
            $"""
            WITH u AS (
                SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::timestamptz[], $7::text[],
                                     $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[])
                    AS t(id, lease_token, state, attempts, queries, next_attempt_at, response_code, error_code, outcome_message,
                         reference_no, outcome_time, completed_at)),
            upd AS (
                UPDATE operations o SET state = u.state, attempts = u.attempts, queries = u.queries,
                    next_attempt_at = clock_timestamp() + (u.next_attempt_at - $13), response_code = COALESCE(u.response_code, o.response_code),
                    error_code = u.error_code, outcome_message = u.outcome_message, reference_no = COALESCE(u.reference_no, o.reference_no),
                    outcome_time = COALESCE(u.outcome_time, o.outcome_time), completed_at = u.completed_at,
                    lease_owner = NULL, lease_token = NULL, lease_until = NULL, updated_at = $13
                FROM u WHERE o.id = u.id AND o.lease_token = u.lease_token
                RETURNING o.id, u.lease_token, o.kind, o.created_at),
            ins AS (
                {OutboxInserts.Sql(first: 14, createdAt: 13, filter: "WHERE (e.op, e.lease_token) IN (SELECT id, lease_token FROM upd)")}
                RETURNING 1)
            SELECT id, kind, created_at FROM upd
            """);
        var p = update.Parameters;
        p.Add(SqlArrays.Of(transitions.Select(t => t.OperationId).ToArray(), NpgsqlDbType.Uuid));
        p.Add(SqlArrays.Of(transitions.Select(t => t.LeaseToken).ToArray(), NpgsqlDbType.Uuid));
        p.Add(SqlArrays.Text(transitions.Select(t => t.State.ToString())));
        p.Add(SqlArrays.Of(transitions.Select(t => t.Sends).ToArray(), NpgsqlDbType.Integer));
        p.Add(SqlArrays.Of(transitions.Select(t => t.ReconcileSteps).ToArray(), NpgsqlDbType.Integer));
        p.Add(SqlArrays.Of(transitions.Select(t => t.NextAttemptAt).ToArray(), NpgsqlDbType.TimestampTz));
        // What a provider sent is cleaned and bounded here (NUL, broken UTF-16, over-long text), so one odd answer
        // cannot make PostgreSQL refuse the whole group.
        p.Add(SqlArrays.Text(transitions.Select(t => StorageText.CleanOrNull(t.ResponseCode, ColumnSizes.Operations.ResponseCode))));
        p.Add(SqlArrays.Text(transitions.Select(t => StorageText.CleanOrNull(t.ErrorCode, ColumnSizes.Operations.ErrorCode))));
        p.Add(SqlArrays.Text(transitions.Select(t => StorageText.CleanOrNull(t.OutcomeMessage, ColumnSizes.Operations.FreeText))));
        p.Add(SqlArrays.Text(transitions.Select(t => StorageText.CleanOrNull(t.ReferenceNo, ColumnSizes.Operations.FreeText))));
        p.Add(SqlArrays.Of(transitions.Select(t => t.OutcomeTime).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(SqlArrays.Of(transitions.Select(t => t.CompletedAt).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        OutboxInserts.AddRows(p, [.. withEvent.Select(t => (t.Event!, (Guid?)t.OperationId, (Guid?)t.LeaseToken))]);
        batch.BatchCommands.Add(update);
        if (withEvent.Count > 0)
        {
            batch.BatchCommands.Add(OutboxInserts.CopyToRepeats(withEvent.Select(t => t.Event!.Id)));
        }

        var calls = transitions.SelectMany(t => t.Calls).ToList();
        if (calls.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                """
                INSERT INTO attempts (operation_id, number, action, provider, external_id, requested_at, http_status, response_code,
                                      classification, transport_failure, latency_ms, trace_id, detail)
                SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::int[], $8::text[],
                                     $9::text[], $10::text[], $11::float8[], $12::text[], $13::text[])
                ON CONFLICT (operation_id, external_id) DO UPDATE SET
                    http_status = EXCLUDED.http_status, response_code = EXCLUDED.response_code,
                    classification = EXCLUDED.classification, transport_failure = EXCLUDED.transport_failure,
                    latency_ms = EXCLUDED.latency_ms, trace_id = COALESCE(EXCLUDED.trace_id, attempts.trace_id),
                    detail = EXCLUDED.detail
                """);
            var a = insert.Parameters;
            a.Add(SqlArrays.Of(calls.Select(x => x.OperationId).ToArray(), NpgsqlDbType.Uuid));
            a.Add(SqlArrays.Of(calls.Select(x => x.Number).ToArray(), NpgsqlDbType.Integer));
            a.Add(SqlArrays.Text(calls.Select(x => StorageText.Clean(x.Action, ColumnSizes.Attempts.Action))));
            a.Add(SqlArrays.Text(calls.Select(x => StorageText.Clean(x.Provider, ColumnSizes.Attempts.Provider))));
            a.Add(SqlArrays.Text(calls.Select(x => StorageText.Clean(x.ExternalId, ColumnSizes.Attempts.ExternalId))));
            a.Add(SqlArrays.Of(calls.Select(x => x.RequestedAt).ToArray(), NpgsqlDbType.TimestampTz));
            a.Add(SqlArrays.Of(calls.Select(x => x.HttpStatus).ToArray(), NpgsqlDbType.Integer));
            a.Add(SqlArrays.Text(calls.Select(x => StorageText.CleanOrNull(x.ResponseCode, ColumnSizes.Attempts.ResponseCode))));
            a.Add(SqlArrays.Text(calls.Select(x => StorageText.Clean(x.Classification, ColumnSizes.Attempts.Classification))));
            a.Add(SqlArrays.Text(calls.Select(x => StorageText.CleanOrNull(x.TransportFailure, ColumnSizes.Attempts.TransportFailure))));
            a.Add(SqlArrays.Of(calls.Select(x => x.LatencyMs).ToArray(), NpgsqlDbType.Double));
            a.Add(SqlArrays.Text(calls.Select(x => StorageText.CleanOrNull(x.TraceId, ColumnSizes.Attempts.TraceId))));
            a.Add(SqlArrays.Text(calls.Select(x => StorageText.CleanOrNull(x.Detail, ColumnSizes.Attempts.Detail))));
            batch.BatchCommands.Add(insert);
        }

        // A multi-statement batch runs in one implicit transaction: the whole group commits or nothing does.
        var ids = new HashSet<Guid>();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            ids.Add(id);
            applied?.TryAdd(id, (reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return ids;
    }

    /// <summary>One operation by id, or null (the outcome writer reads it to park a refused transition).</summary>
    public async Task<Operation?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand($"SELECT {OperationRows.SelectList} FROM operations WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        return (await OperationRows.ReadAllAsync(cmd, ct)).SingleOrDefault();
    }
}
