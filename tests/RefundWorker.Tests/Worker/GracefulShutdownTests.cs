using RefundWorker.Contracts;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>Graceful shutdown: a graceful stop stops consuming, lets calls in flight finish, and strands no lease.</summary>
[Collection(ProcessCollection.Name)]
public sealed class GracefulShutdownTests(ProcessFixture fx)
{
    [Fact]
    public async Task Should_finish_or_release_every_leased_operation_when_the_worker_stops_gracefully()
    {
        fx.Sandbox.Faults.Set("bnc", new FaultSettings { Latency = new LatencySettings { Distribution = LatencyDistribution.Fixed, FixedMs = 1000 } });
        try
        {
            var original = fx.Sandbox.Original("bnc", amount: 1_000_000m);
            // 300 calls of 1 s at 8 at a time is over 35 s of work: a stop that itself takes seconds on a loaded machine
            // (the bus waits for its consumers) still lands mid-run.
            var requests = Enumerable.Range(0, 300).Select(_ => Requests.BankRefund(original, 1_000m)).ToList();
            var worker = await fx.StartWorkerAsync(new Dictionary<string, string?> { ["Worker:Concurrency"] = "8", ["Worker:LeaseDuration"] = "00:05:00" });
            await Task.WhenAll(requests.Select(r => fx.PublishAsync(r)));
            // Stop once the run is under way: any of them has an outcome (which one comes first is the queue's order).
            var deadline = DateTime.UtcNow + WorkerFixture.OutcomeTimeout;
            while (!requests.Any(r => fx.Outcomes.For(r.RequestId).Count > 0))
            {
                Assert.True(DateTime.UtcNow < deadline, "no outcome within the timeout: the run never got under way");
                await Task.Delay(50);
            }

            await fx.StopWorkerAsync(worker);
            // Slow calls make sure the stop lands mid-run even on a loaded machine; the restart needs no slowness.
            fx.Sandbox.Faults.Set("bnc", new FaultSettings());

            // Nothing is left leased: in-flight calls were recorded, queued work was handed back (Pending, due now).
            var stranded = await fx.Database.ScalarAsync<long>(
                "SELECT count(*) FROM operations WHERE state IN ('Sending', 'Reconciling') AND lease_until > now()");
            var unfinished = requests.Count(r => fx.Outcomes.For(r.RequestId).Count == 0);
            Assert.Equal(0, stranded);
            Assert.True(unfinished > 0, "the stop came before the end of the run (otherwise nothing was tested)");

            var restarted = await fx.StartWorkerAsync();
            try
            {
                await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromSeconds(90));
            }
            finally
            {
                // The other tests of this collection run their workers as processes: leave none behind.
                await fx.StopWorkerAsync(restarted);
            }

            Assert.All(requests, r => Assert.IsType<RefundSucceeded>(fx.Outcomes.For(r.RequestId)[0].Message));
            Assert.Equal(300, fx.Sandbox.Ledger.Find("bnc", original.OriginalReferenceNo)!.Refunds.Count);
        }
        finally
        {
            fx.Sandbox.Faults.Set("bnc", new FaultSettings());
        }
    }
}
