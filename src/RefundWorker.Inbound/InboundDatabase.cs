using Microsoft.EntityFrameworkCore;

namespace RefundWorker.Inbound;

/// <summary>
/// The DbContext of one inbound scope (a request or a consumed message). The host supplies it on a connection pool
/// of the inbound's own (<see cref="InboundOptions.MaxDatabaseConnections"/>); the stores and the host's outbox
/// binding write through this one context, so an inquiry record and its event commit together.
/// </summary>
public sealed class InboundDatabase(DbContext context) : IAsyncDisposable
{
    public DbContext Context { get; } = context;

    public ValueTask DisposeAsync() => Context.DisposeAsync();
}
