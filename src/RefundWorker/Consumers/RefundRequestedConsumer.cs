using MassTransit;
using Microsoft.Extensions.Options;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Consumers;

/// <summary>
/// Accepts <see cref="RefundRequested"/> messages in batches: one PostgreSQL transaction per batch, then the
/// messages are acked. Thin: maps and hands to <see cref="AcceptService"/>; exceptions propagate (retry, then
/// the error queue), never swallowed.
/// </summary>
public sealed class RefundRequestedConsumer(AcceptService accept, TimeProvider time) : IConsumer<Batch<RefundRequested>>
{
    public async Task Consume(ConsumeContext<Batch<RefundRequested>> context)
    {
        var now = time.GetUtcNow();
        var ops = new List<Persistence.Operation>(context.Message.Length);
        foreach (var m in context.Message)
        {
            ops.Add(OperationFactory.FromMessage(m.Message, now));
        }

        await accept.AcceptAsync(ops, context.CancellationToken);
    }
}

/// <summary>Endpoint <c>refund-requested</c>: quorum queue, batch size and prefetch from <c>Worker:*</c>.</summary>
public sealed class RefundRequestedConsumerDefinition(IOptions<WorkerOptions> options)
    : AcceptBatchConsumerDefinition<RefundRequestedConsumer>(options, QueueName)
{
    public const string QueueName = "refund-requested";
}
