using Npgsql;
using NpgsqlTypes;
using RefundWorker.Options;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>
/// The hot-path SQL of the operations table: multi-row statements over <c>unnest</c> arrays, one round trip per
/// batch, instead of EF change tracking. A single operation is a batch of one. It is split by the stage that owns
/// each statement, in the order an operation meets them:
/// <list type="bullet">
/// <item><b>accept</b> (<c>OperationStore.Accept.cs</c>, <see cref="AcceptTransaction"/>): record a batch of requests
/// in one transaction, leased to this node;</item>
/// <item><b>claim</b> (<c>OperationStore.Claim.cs</c>): take due and orphaned operations under a new lease, and read
/// what reconciling one needs;</item>
/// <item><b>commit</b> (<c>OperationStore.Commit.cs</c>): the outcome writer's group commit of decided transitions.</item>
/// </list>
/// The row mapping they share is <see cref="OperationRows"/>.
/// </summary>
public sealed partial class OperationStore(NpgsqlDataSource dataSource)
{
    private readonly NpgsqlDataSource _dataSource = dataSource;

    /// <summary>Queues outcome events in the outbox inside the caller's transaction (the accept, an operator's resolution).</summary>
    public static async Task InsertOutboxAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<(OutboxEnvelope Envelope, Guid? OperationId)> rows, DateTimeOffset now, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await using var cmd = new NpgsqlCommand(
            """
            INSERT INTO outbox (id, type, payload, created_at, operation_id)
            SELECT e.id, e.type, e.payload::jsonb, $5, e.op FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[]) AS e(id, type, payload, op)
            ON CONFLICT (id) DO NOTHING
            """, conn, tx);
        cmd.Parameters.Add(SqlArrays.Of(rows.Select(r => r.Envelope.Id).ToArray(), NpgsqlDbType.Uuid));
        cmd.Parameters.Add(SqlArrays.Text(rows.Select(r => r.Envelope.Type)));
        cmd.Parameters.Add(SqlArrays.Text(rows.Select(r => r.Envelope.Payload)));
        cmd.Parameters.Add(SqlArrays.Of(rows.Select(r => r.OperationId).ToArray(), NpgsqlDbType.Uuid));
        cmd.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
