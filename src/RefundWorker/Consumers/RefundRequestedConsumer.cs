using MassTransit;
using Microsoft.Extensions.Options;
using RefundWorker.Availability;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Consumers;

/// <summary>
/// Accepts <see cref="RefundRequested"/> messages in batches: one PostgreSQL transaction per batch, then the
/// messages are acked. Thin: maps and hands to <see cref="AcceptService"/>; exceptions propagate (retry, then
/// the error queue), never swallowed. A request PostgreSQL refuses to record even alone faults alone; its
/// batch-mates are accepted (<see cref="BatchAcceptor"/>).
/// </summary>
public sealed class RefundRequestedConsumer(AcceptService accept, DatabaseGate gate, TimeProvider time) : IConsumer<Batch<RefundRequested>>
{
    public Task Consume(ConsumeContext<Batch<RefundRequested>> context)
        => BatchAcceptor.AcceptAsync(context, accept, gate, time, OperationFactory.FromMessage, nameof(RefundRequestedConsumer));
}

/// <summary>Endpoint <c>refund-requested</c>: quorum queue, batch size and prefetch from <c>Worker:*</c>.</summary>
public sealed class RefundRequestedConsumerDefinition(IOptions<WorkerOptions> options)
    : AcceptBatchConsumerDefinition<RefundRequestedConsumer>(options, QueueName)
{
    public const string QueueName = "refund-requested";
}
