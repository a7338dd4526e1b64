using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RefundWorker.Options;

namespace RefundWorker.Admin;

/// <summary>
/// Publishes replays straight to the queue a letter failed on (the default exchange, routed by queue name, so only
/// that endpoint gets it, not every subscriber of the type), persistent and awaited until the broker confirms.
/// </summary>
public sealed class DeadLetterPublisher(IOptions<ConnectionStringsOptions> connectionStrings) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public async Task PublishAsync(string queue, ReadOnlyMemory<byte> body, BasicProperties props, CancellationToken ct)
    {
        var channel = await ChannelAsync(ct);
        try
        {
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: false, props, body, ct);
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            await ResetAsync();
            throw;
        }
    }

    private async Task<IChannel> ChannelAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_channel is { IsOpen: true })
            {
                return _channel;
            }

            await ResetCoreAsync();
            var factory = new ConnectionFactory { Uri = new Uri(connectionStrings.Value.RabbitMq!), ClientProvidedName = "RefundWorker replay" };
            _connection = await factory.CreateConnectionAsync(ct);
            _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
            return _channel;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ResetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await ResetCoreAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ResetCoreAsync()
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

        _channel = null;
        _connection = null;
    }

    public async ValueTask DisposeAsync()
    {
        await ResetAsync();
        _gate.Dispose();
    }
}
