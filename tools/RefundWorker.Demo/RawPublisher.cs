using System.Text.Json;
using RabbitMQ.Client;
using RefundWorker.Contracts.Wire;

namespace RefundWorker.Demo;

/// <summary>
/// Publishes messages for the load run straight onto RabbitMQ, in MassTransit's JSON envelope and topology (<see cref="MassTransitEnvelope"/>: fanout
/// exchange <c>RefundWorker.Contracts:RefundRequested</c>, <c>messageType</c> <c>urn:message:…</c>), persistent and
/// awaited until the broker confirms each one — what a MassTransit publisher with confirms puts on the wire, without
/// MassTransit's per-message publish pipeline. On the 2-core machine the load figure is measured on, the order
/// system's publishing shares the CPU with the worker it measures, so a cheap publisher leaves the CPU to the worker.
/// </summary>
public static class RawPublisher
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task PublishAsync<T>(string rabbitMqUri, IReadOnlyList<T> messages, Func<T, Guid> messageId, CancellationToken ct)
        where T : class
        => PublishAsync(rabbitMqUri, typeof(T), messages, messageId, ct);

    /// <summary>Publishes <paramref name="messages"/> as if they were <paramref name="contract"/>s, as written: a
    /// message that does not read as the contract is what a broken order system would send.</summary>
    public static async Task PublishAsync<T>(string rabbitMqUri, Type contract, IReadOnlyList<T> messages, Func<T, Guid> messageId, CancellationToken ct)
        where T : class
    {
        var exchange = MassTransitEnvelope.ExchangeOf(contract);
        var messageType = MassTransitEnvelope.MessageTypeJson(contract);
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMqUri), ClientProvidedName = "RefundWorker.Demo load publisher" };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);

        // Up to 1,000 unconfirmed publishes in flight; each task completes when the broker confirms its message.
        foreach (var chunk in messages.Chunk(1_000))
        {
            await Task.WhenAll(chunk.Select(m => PublishOneAsync(channel, exchange, messageType, m, messageId(m), ct)));
        }
    }

    private static async Task PublishOneAsync<T>(IChannel channel, string exchange, byte[] messageType, T message, Guid id, CancellationToken ct)
    {
        var props = new BasicProperties { ContentType = MassTransitEnvelope.ContentType, MessageId = id.ToString(), Persistent = true };
        await channel.BasicPublishAsync(exchange, string.Empty, mandatory: false, props, MassTransitEnvelope.Write(id, messageType, message, Json, DateTimeOffset.UtcNow), ct);
    }
}
