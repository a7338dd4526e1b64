using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RefundWorker.Extensions;
using RefundWorker.Options;

namespace RefundWorker.Admin;

/// <summary>
/// Publishes replays straight to the queue a letter failed on (the default exchange, routed by queue name, so only
/// that endpoint gets it, not every subscriber of the type), persistent and awaited until the broker confirms.
/// </summary>
public sealed class DeadLetterPublisher(IOptions<ConnectionStringsOptions> connectionStrings) : IAsyncDisposable
{
    private readonly RabbitMqLink _link = new(() => new Uri(connectionStrings.Value.RabbitMq!), "RefundWorker replay",
        new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

    public async Task PublishAsync(string queue, ReadOnlyMemory<byte> body, BasicProperties props, CancellationToken ct)
    {
        var channel = await _link.ChannelAsync(null, ct);
        try
        {
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: false, props, body, ct);
        }
        catch (Exception e) when (RabbitMqLink.IsConnectionLost(e))
        {
            await _link.ResetAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _link.DisposeAsync();
}
