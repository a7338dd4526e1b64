using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RefundWorker.Extensions;

/// <summary>
/// One RabbitMQ.Client connection and channel, opened on first use and opened again after it closed or after a
/// failure (<see cref="ResetAsync"/>). The outbox publisher, the dead-letter drain and the replay publisher each keep
/// one: they talk to the broker below MassTransit, for publisher confirms, returns and basic.get.
/// </summary>
public sealed class RabbitMqLink(Func<Uri> uri, string clientName, CreateChannelOptions? channelOptions = null, bool automaticRecovery = false)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    /// <summary>
    /// The open channel, opening one when there is none. <paramref name="prepare"/> runs under the link's lock on
    /// every call, told whether the channel is new (declare what a new channel has not seen, attach handlers).
    /// </summary>
    public async Task<IChannel> ChannelAsync(Func<IChannel, bool, CancellationToken, Task>? prepare, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var opened = false;
            if (_channel is not { IsOpen: true })
            {
                await CloseCoreAsync();
                var factory = new ConnectionFactory { Uri = uri(), ClientProvidedName = clientName, AutomaticRecoveryEnabled = automaticRecovery };
                _connection = await factory.CreateConnectionAsync(ct);
                _channel = await _connection.CreateChannelAsync(channelOptions, ct);
                opened = true;
            }

            if (prepare is not null)
            {
                await prepare(_channel, opened, ct);
            }

            return _channel;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the connection; the next <see cref="ChannelAsync"/> opens a new one.</summary>
    public async Task ResetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await CloseCoreAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether <paramref name="e"/> means the connection or channel is gone (reset, then retry later).</summary>
    public static bool IsConnectionLost(Exception e) => e is AlreadyClosedException or OperationInterruptedException or IOException;

    private async Task CloseCoreAsync()
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
        catch (Exception e) when (IsConnectionLost(e))
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
