using RefundWorker.Availability;
using RefundWorker.Inbound;

namespace RefundWorker.InboundHosting;

/// <summary>The inbound consumers' writes go through the host's <see cref="DatabaseGate"/>, like the request consumers'.</summary>
internal sealed class InboundDatabaseGate(DatabaseGate gate) : IInboundDatabaseGate
{
    public Task RunAsync(string what, Func<CancellationToken, Task> work, CancellationToken ct) => gate.RunAsync(what, work, ct);
}
