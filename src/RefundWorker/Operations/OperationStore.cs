using Npgsql;

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
}
