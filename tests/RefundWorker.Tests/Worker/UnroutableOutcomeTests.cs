using System.Diagnostics.Metrics;
using MassTransit;
using Npgsql;
using RabbitMQ.Client;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// An outcome published to an exchange no queue is bound to is returned by RabbitMQ (mandatory), counted and kept
/// unsent, then delivered once a subscriber binds a queue. Runs on a vhost of its own with no outcome subscriber.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class UnroutableOutcomeTests(WorkerFixture fx)
{
    private const string RejectedExchange = "RefundWorker.Contracts:RefundRejected";

    [Fact]
    public async Task Should_keep_the_event_unsent_and_count_it_when_no_queue_is_bound_then_deliver_it_once_one_is()
    {
        // Arrange: nobody subscribed to any outcome on this vhost.
        await using var db = await TestDatabase.CreateAsync(fx.Services);
        await using var vhost = await TestVirtualHost.CreateAsync(fx.Services);
        long counted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "RefundWorker" && instrument.Name == "refundworker.outbox.unroutable")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "type" && tag.Value as string == typeof(RefundRejected).FullName)
                {
                    Interlocked.Add(ref counted, value);
                }
            }
        });
        listener.Start();
        var worker = await fx.StartWorkerAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString,
            ["ConnectionStrings:RabbitMq"] = vhost.Amqp.ToString(),
            ["Worker:Unroutable:RetryBase"] = "00:00:00.200",
            ["Worker:Unroutable:RetryMax"] = "00:00:00.500",
        });
        var orderSystem = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(vhost.Amqp));
        await orderSystem.StartAsync();
        try
        {
            // An invalid currency is rejected at accept: the RefundRejected event is written without a provider call.
            var request = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant)) with { Currency = "USD" };

            // Act
            await orderSystem.Publish(request);
            var id = await WaitForAsync(() => OutboxIdAsync(db, request.RequestId), "the RefundRejected outbox row");
            await Task.Delay(TimeSpan.FromSeconds(3));

            // Assert: returned, not sent; retried with backoff; counted.
            Assert.True(await db.ScalarAsync<bool>("SELECT sent_at IS NULL FROM outbox WHERE id = $1", id), "the event was marked sent although no queue is bound to its exchange");
            Assert.True(await db.ScalarAsync<int>("SELECT unroutable_count FROM outbox WHERE id = $1", id) >= 2, "the returned event was not tried again");
            Assert.Contains("NO_ROUTE", await db.ScalarAsync<string>("SELECT unroutable_reason FROM outbox WHERE id = $1", id), StringComparison.Ordinal);
            Assert.True(Interlocked.Read(ref counted) >= 2, $"refundworker.outbox.unroutable counted {counted}");

            // A subscriber appears: the next try delivers the event, with the row id as MessageId.
            var factory = new ConnectionFactory { Uri = vhost.Amqp };
            await using (var connection = await factory.CreateConnectionAsync())
            await using (var channel = await connection.CreateChannelAsync())
            {
                await channel.QueueDeclareAsync("late-subscriber", durable: true, exclusive: false, autoDelete: false);
                await channel.QueueBindAsync("late-subscriber", RejectedExchange, routingKey: string.Empty);
            }

            await WaitForAsync(async () => await db.ScalarAsync<bool>("SELECT sent_at IS NOT NULL FROM outbox WHERE id = $1", id) ? true : (bool?)null, "the event to be sent");
            var delivered = Assert.Single(await vhost.GetMessagesAsync("late-subscriber", 10));
            Assert.Equal(id.ToString(), delivered.GetProperty("properties").GetProperty("message_id").GetString());
            Assert.True(await db.ScalarAsync<bool>("SELECT unroutable_at IS NOT NULL FROM outbox WHERE id = $1", id), "the row lost the record of its returns");
        }
        finally
        {
            await orderSystem.StopAsync();
            await fx.StopWorkerAsync(worker);
        }
    }

    private static async Task<Guid?> OutboxIdAsync(TestDatabase db, Guid requestId)
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT id FROM outbox WHERE payload->>'requestId' = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = requestId.ToString() });
        return await cmd.ExecuteScalarAsync() as Guid?;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what)
        where T : struct
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
