using System.Collections.Concurrent;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RefundWorker.Chaos;

/// <summary>One delivered outcome event, as the order system sees it.</summary>
public sealed record OutcomeEvent(Guid RequestId, string Kind, string MessageId, string Provider, string Key);

/// <summary>
/// The verifier's subscription: a durable queue bound to the eight outcome exchanges, declared before anything is
/// published (the worker publishes outcomes mandatory, so an unbound exchange would park them), acknowledged only
/// after an event is recorded. It survives the broker restart with its messages; the client reconnects by itself.
/// </summary>
public sealed class OutcomeListener : IAsyncDisposable
{
    public const string Queue = "refundworker-chaos-outcomes";

    private static readonly string[] Kinds =
    [
        "RefundSucceeded", "RefundFailed", "RefundRejected", "RefundNeedsReview",
        "CancelSucceeded", "CancelFailed", "CancelRejected", "CancelNeedsReview",
    ];

    private readonly ConcurrentQueue<OutcomeEvent> _events = new();
    private readonly ConcurrentDictionary<Guid, byte> _requests = new();
    private IConnection? _connection;
    private IChannel? _channel;
    private int _unreadable;

    public IReadOnlyCollection<OutcomeEvent> Events => _events;

    /// <summary>Distinct RequestIds with at least one outcome.</summary>
    public int Requests => _requests.Count;

    public bool Has(Guid requestId) => _requests.ContainsKey(requestId);

    public int Unreadable => Volatile.Read(ref _unreadable);

    public static async Task<OutcomeListener> StartAsync(Uri broker, CancellationToken ct)
    {
        var listener = new OutcomeListener();
        var factory = new ConnectionFactory
        {
            Uri = broker, ClientProvidedName = "RefundWorker.Chaos verifier", AutomaticRecoveryEnabled = true, TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
        };
        listener._connection = await factory.CreateConnectionAsync(ct);
        var channel = listener._channel = await listener._connection.CreateChannelAsync(cancellationToken: ct);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
        foreach (var kind in Kinds)
        {
            var exchange = "RefundWorker.Contracts:" + kind;
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
            await channel.QueueBindAsync(Queue, exchange, string.Empty, cancellationToken: ct);
        }

        await channel.BasicQosAsync(0, 500, false, ct);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += listener.OnReceivedAsync;
        await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, ct);
        return listener;
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs e)
    {
        try
        {
            Record(e.Exchange, e.BasicProperties.MessageId, e.Body);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            Interlocked.Increment(ref _unreadable);
        }

        try
        {
            await ((AsyncEventingBasicConsumer)sender).Channel.BasicAckAsync(e.DeliveryTag, false);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            // The broker went away: it delivers the message again, and the event is counted as a redelivery.
        }
    }

    private void Record(string exchange, string? propertyMessageId, ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var message = root.GetProperty("message");
        var kind = exchange[(exchange.LastIndexOf(':') + 1)..];
        var messageId = propertyMessageId ?? root.GetProperty("messageId").GetString() ?? "";
        var requestId = message.GetProperty("requestId").GetGuid();
        var provider = message.TryGetProperty("provider", out var p) ? p.GetString() ?? "" : "";
        var key = kind.StartsWith("Refund", StringComparison.Ordinal)
            ? message.GetProperty("partnerRefundNo").GetString() ?? ""
            : message.GetProperty("originalPartnerReferenceNo").GetString() ?? "";
        _events.Enqueue(new OutcomeEvent(requestId, kind, messageId, provider, key));
        _requests.TryAdd(requestId, 0);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_channel is not null)
            {
                await _channel.DisposeAsync();
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
        }
    }
}
