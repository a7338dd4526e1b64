using RabbitMQ.Client;

namespace RefundWorker.Consumers;

/// <summary>
/// Declares a request queue's topology exactly as MassTransit's receive endpoint declared it before (same names, same
/// arguments: RabbitMQ refuses to redeclare a queue with other arguments, so queues created by an earlier version
/// keep working): the contract's fanout exchange (<c>RefundWorker.Contracts:RefundRequested</c>, where the order
/// system publishes) bound to the queue's fanout exchange, bound to the quorum queue with its delivery limit and
/// dead-letter exchange; and <c>&lt;queue&gt;_error</c>, exchange and quorum queue, without either argument.
/// </summary>
/// <remarks>See <see cref="Extensions.MessagingTopology.DeliveryLimit"/> for the limit's size.</remarks>
public static class RequestQueueTopology
{
    public static async Task DeclareAsync(IChannel channel, string queue, string contractExchange, int deliveryLimit, CancellationToken ct)
    {
        var error = queue + "_error";
        await channel.ExchangeDeclareAsync(error, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.QueueDeclareAsync(error, durable: true, exclusive: false, autoDelete: false, QuorumArguments(), cancellationToken: ct);
        await channel.QueueBindAsync(error, error, string.Empty, cancellationToken: ct);

        var arguments = QuorumArguments();
        arguments["x-delivery-limit"] = deliveryLimit;
        arguments["x-dead-letter-exchange"] = error;
        await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: ct);
        await channel.QueueBindAsync(queue, queue, string.Empty, cancellationToken: ct);
        await channel.ExchangeDeclareAsync(contractExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.ExchangeBindAsync(queue, contractExchange, string.Empty, cancellationToken: ct);
    }

    private static Dictionary<string, object?> QuorumArguments() => new(StringComparer.Ordinal) { ["x-queue-type"] = "quorum" };
}
