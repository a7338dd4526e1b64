using System.Diagnostics;
using System.Text.Json;
using RabbitMQ.Client;
using RefundWorker.Contracts;
using RefundWorker.Contracts.Wire;

namespace RefundWorker.Bench;

/// <summary>
/// Publishes RefundRequested in MassTransit's envelope straight onto RabbitMQ, persistent, with publisher confirms
/// (like the demo's load publisher): MassTransit's own publish pipeline would take CPU from the 2 cores the
/// processes being measured run on. The worker is fed through the contract's exchange, as the order system feeds
/// it; the textbook consumer through its queue's own exchange. Each message's publish time is recorded for the
/// publish-to-outcome latency.
/// </summary>
public sealed class BenchPublisher : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly byte[] MessageType = MassTransitEnvelope.MessageTypeJson(typeof(RefundRequested));
    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private BenchPublisher(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public static async Task<BenchPublisher> ConnectAsync(string rabbitMqUri, CancellationToken ct)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMqUri), ClientProvidedName = "RefundWorker.Bench publisher" };
        var connection = await factory.CreateConnectionAsync(ct);
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        return new BenchPublisher(connection, channel);
    }

    public static string WorkerExchange => MassTransitEnvelope.ExchangeOf(typeof(RefundRequested));

    /// <summary>Publishes all of <paramref name="messages"/>: at once (<paramref name="perSecond"/> 0, a backlog) or
    /// paced at <paramref name="perSecond"/>, in 10 ms ticks.</summary>
    public async Task PublishAsync(string exchange, IReadOnlyList<RefundRequested> messages, int perSecond, IDictionary<Guid, long> publishedAt, CancellationToken ct)
    {
        await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        var chunkSize = perSecond > 0 ? Math.Max(1, perSecond / 100) : 1_000;
        var clock = Stopwatch.StartNew();
        var sent = 0;
        foreach (var chunk in messages.Chunk(chunkSize))
        {
            if (perSecond > 0)
            {
                var due = TimeSpan.FromSeconds(sent / (double)perSecond);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, ct);
                }
            }

            await Task.WhenAll(chunk.Select(m =>
            {
                publishedAt[m.RequestId] = Stopwatch.GetTimestamp();
                var props = new BasicProperties { ContentType = MassTransitEnvelope.ContentType, MessageId = m.RequestId.ToString(), Persistent = true };
                return _channel.BasicPublishAsync(exchange, string.Empty, mandatory: false, props,
                    MassTransitEnvelope.Write(m.RequestId, MessageType, m, Json, DateTimeOffset.UtcNow), ct).AsTask();
            }));
            sent += chunk.Length;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
