using NpgsqlTypes;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

// The accept stage: a batch of requests is recorded in one transaction.
public sealed partial class OperationStore
{
    /// <summary>Opens the accept stage's transaction; dispose it (committed or not) to return the connection.</summary>
    public Task<AcceptTransaction> BeginAcceptAsync(CancellationToken ct) => AcceptTransaction.BeginAsync(_dataSource, ct);

    /// <summary>
    /// Gives back the leases of accepted operations that were never handed to the executor (the process is stopping):
    /// known not sent, so they go back to Pending, due now, for any replica, instead of waiting for the lease to end
    /// and then being reconciled as if they might have been sent.
    /// </summary>
    public async Task<int> ReleaseUnsentAsync(IReadOnlyList<Operation> ops, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(
            """
            UPDATE operations o SET state = 'Pending', lease_owner = NULL, lease_token = NULL, lease_until = NULL,
                next_attempt_at = clock_timestamp(), updated_at = clock_timestamp()
            FROM unnest($1::uuid[], $2::uuid[]) AS u(id, token)
            WHERE o.id = u.id AND o.lease_token = u.token AND o.state = 'Sending' AND o.attempts = 0
            """);
        cmd.Parameters.Add(SqlArrays.Of(ops.Select(o => o.Id).ToArray(), NpgsqlDbType.Uuid));
        cmd.Parameters.Add(SqlArrays.Of(ops.Select(o => o.LeaseToken!.Value).ToArray(), NpgsqlDbType.Uuid));
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
