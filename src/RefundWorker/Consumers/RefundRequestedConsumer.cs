using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;

namespace RefundWorker.Consumers;

/// <summary>
/// Consumes <c>refund-requested</c>: batches of <see cref="RefundRequested"/> accepted in one PostgreSQL transaction
/// each (<see cref="RequestQueueConsumer{T}"/>). Thin: maps and hands to <see cref="AcceptService"/>.
/// </summary>
public sealed class RefundRequestedConsumer(RequestQueueServices services) : RequestQueueConsumer<RefundRequested>(services, QueueName)
{
    public const string QueueName = "refund-requested";

    protected override Operation Map(RefundRequested message, DateTimeOffset now) => OperationFactory.FromMessage(message, now);

    protected override Guid RequestIdOf(RefundRequested message) => message.RequestId;
}
