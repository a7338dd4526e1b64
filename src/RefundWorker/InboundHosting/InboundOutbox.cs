using RefundWorker.Inbound;
using RefundWorker.Operations;
using RefundWorker.Persistence;

namespace RefundWorker.InboundHosting;

/// <summary>
/// Binds <see cref="IInboundOutbox"/> to the host's outbox table: the row is added to the same DbContext, so the
/// caller's SaveChanges and commit write it atomically with the inquiry record; the host's OutboxDispatcher
/// publishes it (woken by OutboxCommitInterceptor at commit).
/// </summary>
internal sealed class InboundOutbox(InboundDatabase inbound, TimeProvider time) : IInboundOutbox
{
    public Task PublishAsync<T>(T message, CancellationToken ct)
        where T : class
    {
        var db = (RefundWorkerDbContext)inbound.Context;
        var now = time.GetUtcNow();
        var envelope = OutboxEnvelope.For(message, now);
        db.Outbox.Add(new OutboxMessage
        {
            Id = envelope.Id,
            Type = envelope.Type,
            Payload = envelope.Payload,
            CreatedAt = now,
        });
        return Task.CompletedTask;
    }
}
