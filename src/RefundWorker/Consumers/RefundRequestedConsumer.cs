using MassTransit;
using Microsoft.Extensions.Options;
using RefundWorker.Availability;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Consumers;

/// <summary>
/// Accepts <see cref="RefundRequested"/> messages in batches: one PostgreSQL transaction per batch, then the
/// messages are acked. Thin: maps and hands to <see cref="AcceptService"/> through the <see cref="DatabaseGate"/>,
/// which holds the batch while PostgreSQL is away (the messages go back to the queue unfaulted if the endpoint is
/// stopped meanwhile); other exceptions propagate (retry, then the error queue), never swallowed.
/// </summary>
public sealed class RefundRequestedConsumer(AcceptService accept, DatabaseGate gate, TimeProvider time) : IConsumer<Batch<RefundRequested>>
{
    public Task Consume(ConsumeContext<Batch<RefundRequested>> context)
        => gate.RunAsync("A batch of refund requests", ct =>
        {
            // Mapped again on every try: the accept fills in state, leases and rejection copies.
            var now = time.GetUtcNow();
            var ops = new List<Persistence.Operation>(context.Message.Length);
            foreach (var m in context.Message)
            {
                ops.Add(OperationFactory.FromMessage(m.Message, now));
            }

            return accept.AcceptAsync(ops, ct);
        }, context.CancellationToken);
}

/// <summary>Endpoint <c>refund-requested</c>: quorum queue, batch size and prefetch from <c>Worker:*</c>.</summary>
public sealed class RefundRequestedConsumerDefinition(IOptions<WorkerOptions> options)
    : AcceptBatchConsumerDefinition<RefundRequestedConsumer>(options, QueueName)
{
    public const string QueueName = "refund-requested";
}
