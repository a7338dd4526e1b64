using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// A worker of its own for the tests that put bad messages beside good ones, add CHECK constraints to the database
/// or script poisoned provider answers: nothing of that reaches the other collections.
/// </summary>
public sealed class BatchIsolationFixture : WorkerFixture
{
    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        // Long enough that messages published together are accepted in the same batch, so the bad ones really sit
        // between good ones in one transaction.
        s["Worker:AcceptBatchTimeLimit"] = "00:00:00.500";
        return s;
    }

    /// <summary>Takes every message off <paramref name="queue"/> until <paramref name="until"/> holds or
    /// <paramref name="timeout"/> passes, then waits <paramref name="settle"/> for stragglers.</summary>
    public async Task<List<ErrorQueueMessage>> DrainAsync(string queue, Func<List<ErrorQueueMessage>, bool> until, TimeSpan timeout, TimeSpan settle)
    {
        var found = new List<ErrorQueueMessage>();
        var deadline = DateTime.UtcNow + timeout;
        while (!until(found) && DateTime.UtcNow < deadline)
        {
            found.AddRange((await VirtualHost.GetMessagesAsync(queue, 100)).Select(ErrorQueueMessage.From));
            await Task.Delay(200);
        }

        await Task.Delay(settle);
        found.AddRange((await VirtualHost.GetMessagesAsync(queue, 100)).Select(ErrorQueueMessage.From));
        return found;
    }

    /// <summary>Publishes a raw MassTransit envelope, for messages the contract types cannot express.</summary>
    public async Task PublishRawAsync(string exchange, string messageType, string messageJson, Guid messageId)
    {
        var body = "{\"messageId\":\"" + messageId + "\",\"messageType\":[\"" + messageType + "\"],\"message\":" + messageJson
            + ",\"sentTime\":\"" + DateTime.UtcNow.ToString("O") + "\",\"headers\":{}}";
        var factory = new ConnectionFactory { Uri = VirtualHost.Amqp };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var props = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = messageId.ToString(), Persistent = true };
        await channel.BasicPublishAsync(exchange, string.Empty, mandatory: false, props, Encoding.UTF8.GetBytes(body));
    }
}

/// <summary>One message taken off an error queue: the request it carried and the fault headers.</summary>
public sealed record ErrorQueueMessage(Guid? RequestId, string? Reason, string? FaultMessage, string? ExceptionType, int RetryCount, string Payload)
{
    public static ErrorQueueMessage From(JsonElement m)
    {
        var payload = m.GetProperty("payload").GetString() ?? string.Empty;
        Guid? requestId = null;
        try
        {
            // Deep enough for the deeply nested poison the tests publish.
            using var doc = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 1024 });
            if (doc.RootElement.TryGetProperty("message", out var message)
                && message.TryGetProperty("requestId", out var id) && id.TryGetGuid(out var g))
            {
                requestId = g;
            }
        }
        catch (JsonException)
        {
        }

        var headers = m.GetProperty("properties").TryGetProperty("headers", out var h) ? h : default;
        string? Header(string name) => headers.ValueKind == JsonValueKind.Object && headers.TryGetProperty(name, out var v) ? v.ToString() : null;
        return new ErrorQueueMessage(requestId, Header("MT-Reason"), Header("MT-Fault-Message"), Header("MT-Fault-ExceptionType"),
            int.TryParse(Header("MT-Fault-RetryCount"), out var retries) ? retries : 0, payload);
    }
}

[CollectionDefinition(Name)]
public sealed class BatchIsolationCollection : ICollectionFixture<BatchIsolationFixture>
{
    public const string Name = "batch-isolation";
}
