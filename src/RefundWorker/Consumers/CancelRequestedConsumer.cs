using MassTransit;
using Microsoft.Extensions.Options;
using RefundWorker.Availability;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Consumers;

/// <summary>Accepts <see cref="CancelRequested"/> messages in batches, like <see cref="RefundRequestedConsumer"/>.</summary>
public sealed class CancelRequestedConsumer(AcceptService accept, DatabaseGate gate, TimeProvider time) : IConsumer<Batch<CancelRequested>>
{
    public Task Consume(ConsumeContext<Batch<CancelRequested>> context)
        => BatchAcceptor.AcceptAsync(context, accept, gate, time, OperationFactory.FromMessage, nameof(CancelRequestedConsumer));
}

/// <summary>Endpoint <c>cancel-requested</c>.</summary>
public sealed class CancelRequestedConsumerDefinition(IOptions<WorkerOptions> options)
    : AcceptBatchConsumerDefinition<CancelRequestedConsumer>(options, QueueName)
{
    public const string QueueName = "cancel-requested";
}
