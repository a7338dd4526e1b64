using Npgsql;
using NpgsqlTypes;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

// The claim stage: due and orphaned operations are taken under a new lease.
public sealed partial class OperationStore
{
    /// <summary>
    /// Claims due operations for this node: retries and reconciliations whose time has come, and operations whose
    /// lease expired (a crashed or stopped replica). <c>FOR UPDATE SKIP LOCKED</c> lets replicas claim side by side.
    /// A claimed Pending operation becomes Sending; a Sending one whose lease expired becomes Reconciling, because
    /// its call may have landed. Due times and leases are read and written by PostgreSQL's clock, never a replica's.
    /// </summary>
    public async Task<List<(Operation Op, OperationState PreviousState)>> ClaimDueAsync(string owner, TimeSpan leaseDuration, int limit, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(
            $"""
            WITH due AS (
                SELECT id, state AS previous_state FROM operations
                WHERE state IN ('Pending', 'Sending', 'Reconciling') AND next_attempt_at <= clock_timestamp()
                  AND (lease_until IS NULL OR lease_until < clock_timestamp())
                ORDER BY next_attempt_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            UPDATE operations o SET
                state = CASE o.state WHEN 'Pending' THEN 'Sending' WHEN 'Sending' THEN 'Reconciling' ELSE o.state END,
                -- The trail is written before the wire, the counters only at the outcome commit: after a crash in
                -- between, the trail is right. A refused token (RefreshToken) processed nothing and is not counted.
                attempts = GREATEST(o.attempts, (SELECT count(*) FROM attempts a WHERE a.operation_id = o.id AND a.action = 'send' AND a.classification <> 'RefreshToken')),
                queries = GREATEST(o.queries, (SELECT count(*) FROM attempts a WHERE a.operation_id = o.id AND a.action = 'query' AND a.classification <> 'RefreshToken')),
                lease_owner = $1, lease_token = gen_random_uuid(), lease_until = clock_timestamp() + $2, updated_at = clock_timestamp()
            FROM due WHERE o.id = due.id
            RETURNING {OperationRows.Select("o.")}, due.previous_state
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = owner, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = leaseDuration, NpgsqlDbType = NpgsqlDbType.Interval });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit, NpgsqlDbType = NpgsqlDbType.Integer });
        var result = new List<(Operation, OperationState)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var cols = new OperationRows.Reader(reader);
        var prev = reader.GetOrdinal("previous_state");
        while (await reader.ReadAsync(ct))
        {
            result.Add((cols.Read(reader), Enum.Parse<OperationState>(reader.GetString(prev))));
        }

        return result;
    }

    /// <summary>
    /// The provider's own success answer to a send of this operation, if the trail holds one: written when a
    /// replica's outcome commit lost its lease (PostgreSQL away longer than the lease), it proves the refund landed.
    /// </summary>
    public async Task<(int Number, string? ResponseCode)?> FindRecordedSuccessAsync(Guid operationId, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT number, response_code FROM attempts WHERE operation_id = $1 AND action = 'send' AND classification = 'Success' ORDER BY number LIMIT 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = operationId, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1)) : null;
    }
}
