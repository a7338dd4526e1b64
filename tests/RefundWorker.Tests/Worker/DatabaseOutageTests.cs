using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// PostgreSQL going away does not lose requests: the request endpoints stop taking messages while it is down (or not
/// migrated yet) and resume when it is back; nothing is dead-lettered and every request ends in one outcome.
/// </summary>
[Collection(DatabaseOutageCollection.Name)]
public sealed class DatabaseOutageTests(DatabaseOutageFixture fx)
{
    /// <summary>How long PostgreSQL stays down: longer than MassTransit's in-memory retries (about a minute and a
    /// half), so a consumer that simply failed would have faulted its messages into the error queue.</summary>
    private static readonly TimeSpan OutageDuration = TimeSpan.FromSeconds(120);

    private const int RequestCount = 300;
    private const string Queue = "refund-requested";
    private const string ErrorQueue = Queue + "_error";

    [Fact]
    public async Task Should_resolve_every_request_once_and_dead_letter_none_when_PostgreSQL_is_stopped_for_two_minutes_mid_run()
    {
        // Arrange: a provider slow enough that calls are in flight when PostgreSQL dies.
        fx.Sandbox.Faults.Set("nicepay", new FaultSettings { Latency = new LatencySettings { Distribution = LatencyDistribution.Fixed, FixedMs = 200 } });
        var originals = Enumerable.Range(0, RequestCount).Select(_ => fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant)).ToList();
        var requests = originals.Select(o => Requests.NicepayRefund(o)).ToList();
        await using var worker = await WorkerProcess.StartAsync(fx.WorkerSettings());
        var pid = worker.Id;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{worker.Port}"), Timeout = TimeSpan.FromSeconds(10) };

        try
        {
            // Act: publish at a steady pace (about 9 s); PostgreSQL is killed once outcomes flow, so requests are being
            // accepted, executed and published at that moment, and the rest arrive during the outage.
            var publishing = Task.Run(async () =>
            {
                foreach (var r in requests)
                {
                    await fx.PublishAsync(r);
                    await Task.Delay(30);
                }
            });
            await WaitUntilAsync(() => Task.FromResult(requests.Count(r => fx.Outcomes.For(r.RequestId).Count > 0) >= 20), "the first outcomes", TimeSpan.FromSeconds(60));
            await fx.Postgres.StopServerAsync("immediate");
            var stoppedAt = DateTime.UtcNow;
            await publishing;

            // During the outage: the process stays up and dead-letters nothing, however long it lasts.
            while (DateTime.UtcNow - stoppedAt < OutageDuration)
            {
                Assert.False(worker.HasExited, $"the worker exited during the outage:{Environment.NewLine}{worker.Tail}");
                Assert.Empty(await fx.VirtualHost.GetMessagesAsync(ErrorQueue, 10));
                await Task.Delay(TimeSpan.FromSeconds(10));
            }

            // At its end it says why it is not ready, and the requests wait in the queue, with no consumer and none
            // held unacknowledged.
            var reason = await WaitForReadinessAsync(http, HttpStatusCode.ServiceUnavailable, "PostgreSQL is unreachable", TimeSpan.FromSeconds(30));
            Assert.Contains("consuming paused on", reason, StringComparison.Ordinal);
            await WaitUntilQueueAsync(
                q => q.GetProperty("messages_ready").GetInt64() > 0 && (!q.TryGetProperty("consumers", out var c) || c.GetInt32() == 0) && q.GetProperty("messages_unacknowledged").GetInt64() == 0,
                "requests waiting in the queue with no consumer");
            Assert.Equal(0, (await fx.VirtualHost.QueueAsync(ErrorQueue)).GetProperty("messages").GetInt64());
            await fx.Postgres.StartServerAsync();

            // Assert: every request resolved exactly once, nothing dead-lettered, the same process throughout.
            fx.Sandbox.Faults.Set("nicepay", new FaultSettings());
            await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromMinutes(3));
            foreach (var (request, original) in requests.Zip(originals))
            {
                var events = fx.Outcomes.For(request.RequestId);
                // At-least-once: an event published but not yet marked sent when PostgreSQL died is published again,
                // with the same MessageId. One outcome means one MessageId.
                if (events.Select(e => e.MessageId).Distinct().Count() != 1 || events[0].Message is not RefundSucceeded)
                {
                    Assert.Fail($"request {request.RequestId} ended in {string.Join(", ", events.Select(e => $"{e.Message.GetType().Name} {e.MessageId}"))}"
                        + $"{Environment.NewLine}{await DescribeAsync(request.RequestId)}{Environment.NewLine}{worker.Tail}");
                }

                Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
            }

            Assert.Empty(await fx.VirtualHost.GetMessagesAsync(ErrorQueue, 10));
            Assert.False(worker.HasExited, $"the worker exited:{Environment.NewLine}{worker.Tail}");
            Assert.Equal(pid, worker.Id);
            await WaitForReadinessAsync(http, HttpStatusCode.OK, "Healthy", TimeSpan.FromSeconds(30));
        }
        finally
        {
            fx.Sandbox.Faults.Set("nicepay", new FaultSettings());
            if (!fx.Postgres.IsRunning)
            {
                await fx.Postgres.StartServerAsync();
            }
        }
    }

    [Fact]
    public async Task Should_leave_requests_in_the_queue_and_say_why_when_the_schema_is_not_migrated_then_process_them_after_migrate()
    {
        // Arrange: a worker started before the migration job, on its own database and vhost.
        await using var db = await TestDatabase.CreateAsync(fx.Services, migrate: false);
        await using var vhost = await TestVirtualHost.CreateAsync(fx.Services);
        await using var outcomes = await OutcomeCollector.StartAsync(vhost.Amqp);
        var worker = await fx.StartWorkerAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ConnectionStrings:RabbitMq"] = vhost.Amqp.ToString() },
            readyPath: null);
        try
        {
            using var http = new HttpClient { BaseAddress = WorkerFixture.AddressOf(worker) };
            var reason = await WaitForReadinessAsync(http, HttpStatusCode.ServiceUnavailable, "consuming paused on", TimeSpan.FromSeconds(30));
            Assert.Contains("schema is not migrated", reason, StringComparison.Ordinal);
            Assert.Contains("RefundWorker migrate", reason, StringComparison.Ordinal);
            Assert.Contains("refund-requested", reason, StringComparison.Ordinal);
            var requests = Enumerable.Range(0, 20).Select(_ => Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant))).ToList();

            // Act
            foreach (var r in requests)
            {
                await outcomes.Bus.Publish(r);
            }

            // Assert: the requests wait in the queue, untouched (not even held unacknowledged), and nothing faulted.
            var queue = await WaitUntilQueueAsync(vhost, q => q.GetProperty("messages_ready").GetInt64() == requests.Count, "the requests to be counted in the queue");
            Assert.Equal(0, queue.GetProperty("messages_unacknowledged").GetInt64());
            // The management API leaves "consumers" out until its statistics have been collected once.
            Assert.Equal(0, queue.TryGetProperty("consumers", out var consumers) ? consumers.GetInt32() : 0);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Empty(outcomes.All);
            Assert.Empty(await vhost.GetMessagesAsync(ErrorQueue, 10));

            await using (var context = db.CreateContext())
            {
                await context.Database.MigrateAsync();
            }

            await outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromSeconds(60));
            Assert.All(requests, r => Assert.IsType<RefundSucceeded>(Assert.Single(outcomes.For(r.RequestId)).Message));
            await WaitForReadinessAsync(http, HttpStatusCode.OK, "Healthy", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await fx.StopWorkerAsync(worker);
        }
    }

    /// <summary>The operations, attempts and outbox rows of a request, for a failure message.</summary>
    private async Task<string> DescribeAsync(Guid requestId)
    {
        await using var dataSource = NpgsqlDataSource.Create(fx.PrivateDatabase);
        var text = new System.Text.StringBuilder();
        foreach (var sql in new[]
        {
            "SELECT id, state, attempts, queries, created_at, completed_at, response_code, outcome_message FROM operations WHERE request_id = $1",
            "SELECT a.operation_id, a.number, a.action, a.classification, a.http_status, a.response_code, a.requested_at FROM attempts a JOIN operations o ON o.id = a.operation_id WHERE o.request_id = $1",
            "SELECT id, type, operation_id, created_at, sent_at FROM outbox WHERE payload->>'requestId' = $1::text",
        })
        {
            await using var cmd = dataSource.CreateCommand(sql);
            cmd.Parameters.Add(new NpgsqlParameter { Value = requestId });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                text.AppendLine(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
            }
        }

        return text.ToString();
    }

    /// <summary>Polls <c>/health/ready</c> until it answers <paramref name="status"/> with <paramref name="contains"/> in
    /// the body; returns the body.</summary>
    private static async Task<string> WaitForReadinessAsync(HttpClient http, HttpStatusCode status, string contains, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "(no answer)";
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.StatusCode == status && last.Contains(contains, StringComparison.Ordinal))
                {
                    return last;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"/health/ready did not answer {(int)status} with \"{contains}\" within {timeout}; last: {last}");
            }

            await Task.Delay(200);
        }
    }

    private Task<JsonElement> WaitUntilQueueAsync(Func<JsonElement, bool> condition, string what)
        => WaitUntilQueueAsync(fx.VirtualHost, condition, what);

    /// <summary>The management API refreshes queue statistics every few seconds: polls them.</summary>
    private static async Task<JsonElement> WaitUntilQueueAsync(TestVirtualHost vhost, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                var q = await vhost.QueueAsync(Queue);
                if (q.TryGetProperty("messages_ready", out _) && condition(q))
                {
                    return q;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Timed out waiting for {what}: {q}");
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow <= deadline)
            {
                // Not declared yet.
            }

            await Task.Delay(500);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }
}
