using System.Diagnostics;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RefundWorker.Contracts;
using RefundWorker.Contracts.Wire;

namespace RefundWorker.Chaos;

/// <summary>
/// The order system's publisher: MassTransit's JSON envelope and topology (fanout exchange
/// <c>RefundWorker.Contracts:RefundRequested</c>, <c>messageType</c> <c>urn:message:…</c>), persistent, each chunk
/// awaited until the broker confirms it. When the broker goes away mid-chunk, it reconnects and publishes the whole
/// chunk again, as an order system with at-least-once publishing does: the worker sees those as duplicates.
/// </summary>
public sealed class OrderSystemPublisher(Uri broker, TextWriter output)
{
    private const int Chunk = 100;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private int _published;
    private int _republished;
    private int _returned;

    /// <summary>Messages confirmed so far (the chaos events are timed by it).</summary>
    public int Published => Volatile.Read(ref _published);

    /// <summary>Messages published a second time because the broker went away before confirming them, or returned them.</summary>
    public int Republished => Volatile.Read(ref _republished);

    /// <summary>
    /// Messages the broker returned as unroutable (published with <c>mandatory</c>): right after a restart a queue may
    /// not take messages yet, and without <c>mandatory</c> the broker would confirm and drop them.
    /// </summary>
    public int Returned => Volatile.Read(ref _returned);

    public async Task PublishAllAsync(IReadOnlyList<PlannedMessage> messages, int perSecond, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        IConnection? connection = null;
        IChannel? channel = null;
        try
        {
            for (var start = 0; start < messages.Count; start += Chunk)
            {
                var chunk = messages.Skip(start).Take(Chunk).ToList();
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        if (channel is null || !channel.IsOpen)
                        {
                            await CloseAsync(connection, channel);
                            (connection, channel) = await OpenAsync(ct);
                        }

                        await Task.WhenAll(chunk.Select(m => PublishOneAsync(channel, m, ct)));
                        break;
                    }
                    catch (Exception e) when (e is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException
                                                  or IOException or PublishException or System.Net.Sockets.SocketException or TimeoutException
                                              && !ct.IsCancellationRequested)
                    {
                        if (attempt == 1)
                        {
                            output.WriteLine($"    publisher: {e.GetType().Name} at message {start}; reconnecting and publishing the chunk again");
                        }

                        if (attempt > 600)
                        {
                            throw;
                        }

                        Interlocked.Add(ref _republished, chunk.Count);
                        await CloseAsync(connection, channel);
                        (connection, channel) = (null, null);
                        await Task.Delay(500, ct);
                    }
                }

                Interlocked.Add(ref _published, chunk.Count);
                // Hold the rate: the chunk after this one is not due before start / rate seconds.
                var due = TimeSpan.FromSeconds((start + chunk.Count) / (double)perSecond);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, ct);
                }
            }
        }
        finally
        {
            await CloseAsync(connection, channel);
        }
    }

    private async Task<(IConnection, IChannel)> OpenAsync(CancellationToken ct)
    {
        // No automatic recovery: a chunk whose confirms were lost is published again by the loop above.
        var factory = new ConnectionFactory
        {
            Uri = broker, ClientProvidedName = "RefundWorker.Chaos order system", AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        };
        var connection = await factory.CreateConnectionAsync(ct);
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        foreach (var contract in new[] { typeof(RefundRequested), typeof(CancelRequested) })
        {
            await channel.ExchangeDeclareAsync(MassTransitEnvelope.ExchangeOf(contract), ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        }

        return (connection, channel);
    }

    private static async Task CloseAsync(IConnection? connection, IChannel? channel)
    {
        try
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or ObjectDisposedException)
        {
        }
    }

    private async Task PublishOneAsync(IChannel channel, PlannedMessage m, CancellationToken ct)
    {
        var contract = m.Message?.GetType() ?? typeof(RefundRequested);
        var props = new BasicProperties { ContentType = MassTransitEnvelope.ContentType, MessageId = m.RequestId.ToString(), Persistent = true };
        var body = m.Message is null
            ? Encoding.UTF8.GetBytes($"{{\"messageId\": \"{m.RequestId}\", \"message\": {{ this is not JSON")
            : MassTransitEnvelope.Write(m.RequestId, MassTransitEnvelope.MessageTypeJson(contract), m.Message, Json, DateTimeOffset.UtcNow);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await channel.BasicPublishAsync(MassTransitEnvelope.ExchangeOf(contract), string.Empty, mandatory: true, props, body, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException("no publisher confirm within 30 s");
        }
        catch (PublishReturnException)
        {
            Interlocked.Increment(ref _returned);
            throw;
        }
    }
}
