using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// The attempt trail holds every X-EXTERNAL-ID the worker ever sent, including the one a provider answered 401xx01
/// before the token was refreshed and the call retried with a new id.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class AttemptTrailTests(WorkerFixture fx) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fx.Sandbox.Faults.ClearScript("nicepay");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_record_the_refused_external_id_when_a_call_is_retried_after_a_token_refresh()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Respond("4017801", "Invalid Token (B2B)"));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        await using var db = fx.Database.CreateContext();
        var op = await db.Operations.SingleAsync(o => o.RequestId == request.RequestId);
        var trail = await db.Attempts.Where(a => a.OperationId == op.Id).OrderBy(a => a.Number).ToListAsync();
        Assert.Equal(2, trail.Count);
        Assert.Equal(request.ExternalId, trail[0].ExternalId);
        Assert.Equal("RefreshToken", trail[0].Classification);
        Assert.Equal("4017801", trail[0].ResponseCode);
        Assert.Equal("Success", trail[1].Classification);
        Assert.NotEqual(trail[0].ExternalId, trail[1].ExternalId);
        Assert.Equal([1, 2], trail.Select(a => a.Number));
        // One send as far as the refund is concerned: the refused token processed nothing.
        Assert.Equal(1, succeeded.Attempts);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_succeed_from_the_recorded_answer_without_asking_when_the_trail_holds_the_providers_success()
    {
        // A partial NICEPAY refund: a status query could not prove it (no refund list, "04" proves only a full
        // refund). The trail holds the provider's 2007800 to its send, recorded by a replica whose lease ended
        // before its outcome commit: that is proof, and the refund must not end in NeedsReview.
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 1_000m);
        var op = OperationFactory.FromMessage(request, DateTimeOffset.UtcNow);
        op.State = OperationState.Reconciling;
        op.Attempts = 1;
        op.NextAttemptAt = DateTimeOffset.UtcNow.AddMinutes(5);
        // The operation is not due for five minutes: its trail row is written before anything claims it.
        await using (var accept = await new OperationStore(fx.Database.DataSource).BeginAcceptAsync(CancellationToken.None))
        {
            Assert.Contains(op.Id, await accept.InsertOperationsAsync([op], TimeSpan.FromMinutes(1), CancellationToken.None));
            await accept.CommitAsync(CancellationToken.None);
        }

        await using (var insert = fx.Database.DataSource.CreateCommand(
            """
            INSERT INTO attempts (operation_id, number, action, provider, external_id, requested_at, http_status, response_code, classification, latency_ms)
            VALUES ($1, 1, 'send', 'nicepay', $2, now(), 200, '2007800', 'Success', 12)
            """))
        {
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = op.Id });
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = request.ExternalId });
            await insert.ExecuteNonQueryAsync();
        }

        var queriesBefore = fx.Sandbox.Stats.Snapshot().Where(l => l.Provider == "nicepay" && l.Operation == SandboxOperation.Query).Sum(l => l.Count);
        await using (var due = fx.Database.DataSource.CreateCommand("UPDATE operations SET next_attempt_at = clock_timestamp() WHERE id = $1"))
        {
            due.Parameters.Add(new Npgsql.NpgsqlParameter { Value = op.Id });
            await due.ExecuteNonQueryAsync();
        }

        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal(1, succeeded.Attempts);
        Assert.Equal("2007800", succeeded.ResponseCode);
        var queriesAfter = fx.Sandbox.Stats.Snapshot().Where(l => l.Provider == "nicepay" && l.Operation == SandboxOperation.Query).Sum(l => l.Count);
        Assert.Equal(queriesBefore, queriesAfter);
    }
}

/// <summary>
/// A worker killed between a provider call and its outcome commit: the X-EXTERNAL-ID it sent is on record
/// (classification InFlight) before the kill, and the counters of the resolved refund include that call.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class AttemptTrailCrashTests(ProcessFixture fx)
{
    [Fact]
    public async Task Should_keep_the_sent_external_id_on_record_when_the_worker_dies_before_the_outcome_commit()
    {
        // A full refund, so a status query can confirm it ("04" proves a full refund).
        var original = fx.Sandbox.Original("nicepay", amount: 25_000m, merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 25_000m);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, new FaultStep { Kind = FaultKind.None, DelayMs = 2500 });
        Attempt sent;
        var worker = await WorkerProcess.StartAsync(fx.WorkerSettings());
        try
        {
            await fx.PublishAsync(request);
            sent = await WaitForTrailAsync(request.RequestId, TimeSpan.FromSeconds(30));
            await worker.KillAsync();
        }
        finally
        {
            await worker.DisposeAsync();
        }

        Assert.Equal(request.ExternalId, sent.ExternalId);
        Assert.Equal(AttemptJournal.InFlight, sent.Classification);

        await using var second = await WorkerProcess.StartAsync(fx.WorkerSettings());
        var events = await fx.Outcomes.WaitForAsync(request.RequestId, TimeSpan.FromSeconds(60));
        var succeeded = Assert.IsType<RefundSucceeded>(events[0].Message);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);

        await using var db = fx.Database.CreateContext();
        var op = await db.Operations.SingleAsync(o => o.RequestId == request.RequestId);
        var trail = await db.Attempts.Where(a => a.OperationId == op.Id).OrderBy(a => a.Number).ToListAsync();
        Assert.Equal(request.ExternalId, trail[0].ExternalId);
        // The counter agrees with the trail: the killed call is counted although its commit never happened.
        Assert.Equal(trail.Count(a => a.Action == "send" && a.Classification != "RefreshToken"), succeeded.Attempts);
        Assert.True(succeeded.Attempts >= 1);
    }

    private async Task<Attempt> WaitForTrailAsync(Guid requestId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using (var db = fx.Database.CreateContext())
            {
                var row = await db.Attempts.Where(a => db.Operations.Any(o => o.Id == a.OperationId && o.RequestId == requestId)).FirstOrDefaultAsync();
                if (row is not null)
                {
                    return row;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "no attempt row appeared while the call was in flight");
            await Task.Delay(50);
        }
    }
}
