using System.Text.Json;
using MassTransit;
using RefundWorker.Consumers;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// The request queue consumer on RabbitMQ.Client, where MassTransit's receive endpoint used to be: it must take over
/// queues MassTransit created (same arguments, or RabbitMQ refuses the declaration), and its one multiple-ack per run
/// of settled deliveries must acknowledge every delivery exactly once while batches finish out of order.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class RequestQueueConsumerTests(WorkerFixture fx)
{
    [Fact]
    public async Task Should_consume_the_queues_an_earlier_MassTransit_endpoint_declared_when_it_starts_on_them()
    {
        // A worker of its own, database and vhost: the fixture's worker would publish outcomes of a shared database
        // to its own vhost.
        await using var db = await TestDatabase.CreateAsync(fx.Services);
        await using var vhost = await TestVirtualHost.CreateAsync(fx.Services);
        await DeclareAsEarlierVersionsDidAsync(vhost);
        await using var outcomes = await OutcomeCollector.StartAsync(vhost.Amqp);
        var worker = await fx.StartWorkerAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString,
            ["ConnectionStrings:RabbitMq"] = vhost.Amqp.ToString(),
        });
        try
        {
            var refund = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
            var cancel = Requests.IfortepayCancel(fx.Sandbox.Original("ifortepay"));

            await outcomes.Bus.Publish(refund);
            await outcomes.Bus.Publish(cancel);

            await outcomes.WaitForAllAsync([refund.RequestId, cancel.RequestId], TimeSpan.FromSeconds(30));
            Assert.IsType<RefundSucceeded>(Assert.Single(outcomes.For(refund.RequestId)).Message);
            Assert.IsType<CancelSucceeded>(Assert.Single(outcomes.For(cancel.RequestId)).Message);
            var queue = await vhost.QueueAsync(RefundRequestedConsumer.QueueName);
            Assert.Equal(30, queue.GetProperty("arguments").GetProperty("x-delivery-limit").GetInt32());
        }
        finally
        {
            await fx.StopWorkerAsync(worker);
        }
    }

    [Fact]
    public async Task Should_acknowledge_every_delivery_once_on_one_channel_when_a_burst_fills_every_batch()
    {
        await using var db = await TestDatabase.CreateAsync(fx.Services);
        await using var vhost = await TestVirtualHost.CreateAsync(fx.Services);
        await using var outcomes = await OutcomeCollector.StartAsync(vhost.Amqp);
        // Small batches, four in flight: batches finish out of order all the time, so most acks wait for a lower tag.
        var worker = await fx.StartWorkerAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString,
            ["ConnectionStrings:RabbitMq"] = vhost.Amqp.ToString(),
            ["Worker:AcceptBatchSize"] = "7",
            ["Worker:AcceptConcurrency"] = "4",
        });
        try
        {
            // The management API lists a connection once its statistics were collected.
            var connectionsBefore = await WaitUntilAsync(() => ConsumerConnectionsAsync(vhost), c => c.Length > 0);
            var requests = Enumerable.Range(0, 600)
                .Select(_ => Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant))).ToList();

            await Task.WhenAll(requests.Select(r => outcomes.Bus.Publish(r)));

            try
            {
                await outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException e)
            {
                var q = await vhost.QueueAsync(RefundRequestedConsumer.QueueName);
                throw new TimeoutException($"{e.Message} Queue: {Count(q, "messages_ready")} ready, {Count(q, "messages_unacknowledged")} unacknowledged; consumer connections {await ConsumerConnectionsAsync(vhost)} (before: {connectionsBefore}).", e);
            }

            Assert.All(requests, r => Assert.IsType<RefundSucceeded>(Assert.Single(outcomes.For(r.RequestId)).Message));
            var queue = await WaitUntilAsync(
                () => vhost.QueueAsync(RefundRequestedConsumer.QueueName),
                // The management API leaves the counts out until it has collected them once.
                q => Count(q, "messages_unacknowledged") == 0 && Count(q, "messages_ready") == 0 && Count(q, "messages") == 0);
            Assert.Equal(0, Count(queue, "messages"));
            // A wrong or repeated ack would have closed the channel: the consumer would have connected again and
            // every unacknowledged message would have come back. Same connection as before the burst.
            Assert.Equal(connectionsBefore, await ConsumerConnectionsAsync(vhost));
        }
        finally
        {
            await fx.StopWorkerAsync(worker);
        }
    }

    private static long? Count(JsonElement queue, string name) => queue.TryGetProperty(name, out var v) ? v.GetInt64() : null;

    /// <summary>The names and connect times of the worker's consumer connections on the vhost.</summary>
    private static async Task<string> ConsumerConnectionsAsync(TestVirtualHost vhost)
    {
        var connections = await vhost.GetAsync("connections");
        return string.Join(", ", connections.EnumerateArray()
            .Select(c => (Name: c.GetProperty("client_properties").TryGetProperty("connection_name", out var n) ? n.GetString() : null, At: c.GetProperty("connected_at").GetInt64()))
            .Where(c => c.Name is { } name && name.StartsWith("RefundWorker refund-requested", StringComparison.Ordinal))
            .OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => $"{c.Name}@{c.At}"));
    }

    private static async Task<T> WaitUntilAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var last = await read();
        while (!done(last) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            last = await read();
        }

        return last;
    }

    /// <summary>
    /// The request endpoints as MassTransit 8 declared them up to this version (its receive endpoint with the
    /// arguments the worker set), started once and stopped, so the queues exist with MassTransit's own declarations.
    /// </summary>
    private static async Task DeclareAsEarlierVersionsDidAsync(TestVirtualHost vhost)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(vhost.Amqp);
            cfg.SendTopology.ConfigureErrorSettings = e =>
            {
                e.SetQueueArgument("x-delivery-limit", null);
                e.SetQueueArgument("x-dead-letter-exchange", null);
            };
            foreach (var queue in new[] { RefundRequestedConsumer.QueueName, CancelRequestedConsumer.QueueName })
            {
                cfg.ReceiveEndpoint(queue, e =>
                {
                    var error = queue + "_error";
                    e.SetQuorumQueue();
                    e.SetQueueArgument("x-delivery-limit", 30);
                    e.SetQueueArgument("x-dead-letter-exchange", error);
                    e.BindDeadLetterQueue(error, error, q => q.SetQuorumQueue());
                    e.PrefetchCount = 300;
                    if (queue == RefundRequestedConsumer.QueueName)
                    {
                        e.Handler<RefundRequested>(_ => Task.CompletedTask);
                    }
                    else
                    {
                        e.Handler<CancelRequested>(_ => Task.CompletedTask);
                    }
                });
            }
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.StartAsync(cts.Token);
        await bus.StopAsync(cts.Token);
    }
}
