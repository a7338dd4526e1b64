using System.Net;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// RabbitMQ restarting does not dead-letter valid requests: RabbitMQ before 4.3 counts every return of a held message
/// toward the quorum queue's delivery limit, and a broker restart returns everything the consumers held. Three
/// restarts while requests flow end with every request resolved exactly once and nothing in the error queue.
/// </summary>
[Collection(BrokerRestartCollection.Name)]
public sealed class BrokerRestartTests(BrokerRestartFixture fx, ITestOutputHelper output)
{
    private const int RequestCount = 300;
    private const string Queue = "refund-requested";
    private const string ErrorQueue = Queue + "_error";

    [Fact]
    public async Task Should_resolve_every_request_once_and_dead_letter_none_when_RabbitMQ_restarts_three_times_mid_run()
    {
        // Arrange: accept batches wait up to 2 s to fill, so the worker always holds requests unacknowledged (as a busy
        // replica holds its prefetch window) when the broker goes down: each restart returns them.
        var originals = Enumerable.Range(0, RequestCount).Select(_ => fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant)).ToList();
        var requests = originals.Select(o => Requests.NicepayRefund(o)).ToList();
        var settings = fx.WorkerSettings();
        settings["Worker:AcceptBatchTimeLimit"] = "00:00:02";
        await using var worker = await WorkerProcess.StartAsync(settings);
        var pid = worker.Id;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{worker.Port}"), Timeout = TimeSpan.FromSeconds(5) };
        var outcomes = fx.OrderSystem;

        try
        {
            // Act: publish at a steady pace (10/s, longer with the outages); the order system retries a publish the
            // broker did not confirm, as a real one would (a duplicate is recognised by the worker).
            var published = 0;
            var publishing = Task.Run(async () =>
            {
                foreach (var r in requests)
                {
                    await PublishUntilConfirmedAsync(outcomes, r);
                    Interlocked.Increment(ref published);
                    await Task.Delay(100);
                }
            });

            for (var restart = 1; restart <= 3; restart++)
            {
                // Requests flow (new outcomes arrive) before each restart.
                var before = outcomes.All.Count;
                await WaitUntilAsync(() => Task.FromResult(outcomes.All.Count >= before + 20), $"outcomes before restart {restart}", TimeSpan.FromSeconds(120));
                var held = Held(requests.Take(Volatile.Read(ref published)), outcomes);
                await fx.Broker.StopServerAsync();
                await Task.Delay(TimeSpan.FromSeconds(2));
                await fx.Broker.StartServerAsync();
                output.WriteLine($"restart {restart}: {held} requests published and not yet resolved when the broker stopped");

                // The worker reconnects by itself (readiness includes the bus) before the next restart.
                await WaitForReadyAsync(http, TimeSpan.FromSeconds(120));
                Assert.False(worker.HasExited, $"the worker exited after restart {restart}:{Environment.NewLine}{worker.Tail}");
            }

            await publishing;

            // Assert: every request resolved exactly once (one MessageId: a re-publish after a lost confirm repeats it),
            // one refund at the provider each, nothing dead-lettered, the same process throughout.
            try
            {
                await outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromMinutes(3));
            }
            catch (TimeoutException e)
            {
                // Dead-lettered requests never get an outcome: say where they are.
                Assert.Fail($"{e.Message} {ErrorQueue} holds {await fx.Broker.MessageCountAsync(ErrorQueue)}:{Environment.NewLine}{await fx.Broker.DrainAsync(ErrorQueue, 3)}");
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
            foreach (var (request, original) in requests.Zip(originals))
            {
                var events = outcomes.For(request.RequestId);
                if (events.Select(e => e.MessageId).Distinct().Count() != 1 || events[0].Message is not RefundSucceeded)
                {
                    Assert.Fail($"request {request.RequestId} ended in {string.Join(", ", events.Select(e => $"{e.Message.GetType().Name} {e.MessageId}"))}{Environment.NewLine}{worker.Tail}");
                }

                Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
            }

            var deadLettered = await fx.Broker.MessageCountAsync(ErrorQueue);
            Assert.True(deadLettered == 0, $"{deadLettered} message(s) in {ErrorQueue}:{Environment.NewLine}{await fx.Broker.DrainAsync(ErrorQueue)}");
            Assert.Equal(0u, await fx.Broker.MessageCountAsync(Queue));
            Assert.False(worker.HasExited, $"the worker exited:{Environment.NewLine}{worker.Tail}");
            Assert.Equal(pid, worker.Id);
        }
        finally
        {
            if (!fx.Broker.IsRunning)
            {
                await fx.Broker.StartServerAsync();
            }
        }
    }

    /// <summary>Published and without an outcome yet: an upper bound of what the worker held.</summary>
    private static int Held(IEnumerable<RefundRequested> requests, OutcomeCollector outcomes)
        => requests.Count(r => outcomes.For(r.RequestId).Count == 0);

    private static async Task PublishUntilConfirmedAsync(OutcomeCollector orderSystem, RefundRequested request)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await orderSystem.Bus.Publish(request, timeout.Token);
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task WaitForReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "(no answer)";
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"/health/ready did not answer 200 within {timeout}; last: {last}");
            }

            await Task.Delay(250);
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
