using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;

namespace RefundWorker.Consumers;

/// <summary>Consumes <c>cancel-requested</c>, like <see cref="RefundRequestedConsumer"/>.</summary>
public sealed class CancelRequestedConsumer(RequestQueueServices services) : RequestQueueConsumer<CancelRequested>(services, QueueName)
{
    public const string QueueName = "cancel-requested";

    protected override Operation Map(CancelRequested message, DateTimeOffset now) => OperationFactory.FromMessage(message, now);

    protected override Guid RequestIdOf(CancelRequested message) => message.RequestId;
}
