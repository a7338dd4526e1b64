using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RefundWorker.Consumers;
using RefundWorker.Contracts;
using RefundWorker.Extensions;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>Topology: quorum queues with a delivery limit and dead-letter exchange; bad input ends in the error
/// queue with its reason and never blocks the queue.</summary>
[Collection(WorkerCollection.Name)]
public sealed class TopologyTests(WorkerFixture fx)
{
    private const string ErrorQueue = RefundRequestedConsumer.QueueName + "_error";

    [Theory]
    [InlineData(RefundRequestedConsumer.QueueName)]
    [InlineData(CancelRequestedConsumer.QueueName)]
    public async Task Should_declare_a_quorum_queue_with_a_delivery_limit_and_a_dead_letter_exchange_when_the_worker_starts(string queue)
    {
        var q = await fx.VirtualHost.QueueAsync(queue);

        Assert.Equal("quorum", q.GetProperty("type").GetString());
        var args = q.GetProperty("arguments");
        Assert.Equal(MessagingTopology.DeliveryLimit, args.GetProperty("x-delivery-limit").GetInt32());
        Assert.Equal(queue + "_error", args.GetProperty("x-dead-letter-exchange").GetString());
        Assert.Equal(JsonValueKind.Object, (await fx.VirtualHost.QueueAsync(queue + "_error")).ValueKind);
    }

    [Fact]
    public async Task Should_move_malformed_messages_to_the_error_queue_with_the_reason_and_keep_consuming()
    {
        await fx.VirtualHost.GetMessagesAsync(ErrorQueue, 100);
        var unknownType = Envelope("urn:message:RefundWorker.Contracts:RefundRequestedV9", new { requestId = Guid.NewGuid() });
        var missingFields = Envelope("urn:message:RefundWorker.Contracts:RefundRequested", new { requestId = Guid.NewGuid(), provider = "nicepay" });
        await SendRawAsync("{ this is not json", "bad-json");
        await SendRawAsync(unknownType, "unknown-type");
        await SendRawAsync(missingFields, "missing-fields");

        // The queue keeps flowing: a good request behind the poison is processed.
        var good = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
        await fx.PublishAsync(good);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(good.RequestId);

        var dead = await WaitForErrorMessagesAsync(3);
        foreach (var id in new[] { "bad-json", "unknown-type", "missing-fields" })
        {
            var m = Assert.Single(dead, d => d.GetProperty("properties").GetProperty("message_id").GetString() == id);
            var headers = m.GetProperty("properties").GetProperty("headers");
            Assert.True(headers.TryGetProperty("MT-Reason", out var reason), $"{id}: no MT-Reason header in {headers}");
            if (id == "unknown-type")
            {
                // Nobody consumes this type: MassTransit dead-letters it, here into the error queue.
                Assert.Equal("dead-letter", reason.GetString());
            }
            else
            {
                Assert.Equal("fault", reason.GetString());
                Assert.False(string.IsNullOrWhiteSpace(headers.GetProperty("MT-Fault-Message").GetString()));
                Assert.True(headers.TryGetProperty("MT-Fault-ExceptionType", out _), $"{id}: no MT-Fault-ExceptionType header");
            }

            Assert.False(headers.TryGetProperty("x-death", out _), $"{id} was redelivered until the broker dead-lettered it: {headers}");
        }
    }

    private static string Envelope(string messageType, object message) => JsonSerializer.Serialize(new
    {
        messageId = Guid.NewGuid(),
        messageType = new[] { messageType },
        message,
        sentTime = DateTimeOffset.UtcNow,
    });

    private async Task SendRawAsync(string body, string messageId)
    {
        var factory = new ConnectionFactory { Uri = fx.VirtualHost.Amqp };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var props = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = messageId, Persistent = true };
        await channel.BasicPublishAsync(exchange: string.Empty, routingKey: RefundRequestedConsumer.QueueName, mandatory: true, basicProperties: props, body: Encoding.UTF8.GetBytes(body));
    }

    private async Task<List<JsonElement>> WaitForErrorMessagesAsync(int count)
    {
        var found = new List<JsonElement>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (found.Count < count && DateTime.UtcNow < deadline)
        {
            found.AddRange(await fx.VirtualHost.GetMessagesAsync(ErrorQueue, 10));
            if (found.Count < count)
            {
                await Task.Delay(200);
            }
        }

        return found;
    }
}
