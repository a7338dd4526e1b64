namespace RefundWorker.Inbound;

/// <summary>
/// The host's guard around a consumer's database work: waits while PostgreSQL is away or not migrated and holds the
/// message through database failures instead of faulting it. The host binds it to its database gate; the inbound
/// consumers run every write through it, like the host's own request consumers.
/// </summary>
public interface IInboundDatabaseGate
{
    /// <summary>Runs <paramref name="work"/>; <paramref name="ct"/> must be the ConsumeContext's token.</summary>
    Task RunAsync(string what, Func<CancellationToken, Task> work, CancellationToken ct);
}
