using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// One provider answer PostgreSQL cannot store never wedges the outcome writer: what providers send is cleaned, and a
/// transition PostgreSQL still refuses is isolated from its group commit and parked in NeedsReview.
/// </summary>
[Collection(BatchIsolationCollection.Name)]
public sealed class OutcomeIsolationTests(BatchIsolationFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fx.Sandbox.Faults.ClearScript("nicepay");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_record_every_outcome_with_the_provider_text_cleaned_when_answers_carry_NUL_characters()
    {
        var requests = Enumerable.Range(0, 40).Select(_ => Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant))).ToList();
        // The first two refunds to reach the sandbox get these answers (which two does not matter).
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund,
            FaultStep.Respond("4037814", "Insufficient\0Funds"),
            FaultStep.Respond("2007800", "Successful\0but with a NUL"));

        await Task.WhenAll(requests.Select(fx.PublishAsync));
        await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], Deadline);

        var outcomes = requests.Select(r => Assert.Single(fx.Outcomes.For(r.RequestId)).Message).ToList();
        var failed = Assert.Single(outcomes.OfType<RefundFailed>());
        Assert.Equal("4037814", failed.ResponseCode);
        Assert.Contains("Insufficient Funds", failed.Message, StringComparison.Ordinal);
        Assert.Equal(39, outcomes.OfType<RefundSucceeded>().Count());

        await using var db = fx.Database.CreateContext();
        var failedOp = await db.Operations.SingleAsync(o => o.RequestId == failed.RequestId);
        Assert.Equal(OperationState.Failed, failedOp.State);
        Assert.DoesNotContain('\0', failedOp.OutcomeMessage!);
        var ids = requests.Select(r => r.RequestId).ToList();
        var details = await db.Attempts.Where(a => db.Operations.Any(o => o.Id == a.OperationId && ids.Contains(o.RequestId)))
            .Select(a => a.Detail).ToListAsync();
        Assert.Contains("Insufficient Funds", details);
        Assert.Contains("Successful but with a NUL", details);
    }

    [Fact]
    public async Task Should_park_only_the_refused_operation_in_NeedsReview_when_PostgreSQL_refuses_one_outcome_of_a_group()
    {
        // Something the cleaning does not foresee: PostgreSQL refuses one outcome message outright.
        const string constraint = "outcome_test_poison";
        await ExecuteAsync($"ALTER TABLE operations ADD CONSTRAINT {constraint} CHECK (outcome_message IS NULL OR strpos(outcome_message, 'POISON') = 0) NOT VALID");
        try
        {
            var requests = Enumerable.Range(0, 40).Select(_ => Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant))).ToList();
            fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Respond("4037814", "POISON answer"));

            await Task.WhenAll(requests.Select(fx.PublishAsync));
            await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], Deadline);

            var outcomes = requests.Select(r => Assert.Single(fx.Outcomes.For(r.RequestId)).Message).ToList();
            Assert.Equal(39, outcomes.OfType<RefundSucceeded>().Count());
            var review = Assert.Single(outcomes.OfType<RefundNeedsReview>());
            Assert.Equal("4037814", review.ResponseCode);
            Assert.Equal(1, review.Attempts);
            Assert.Contains("could not record", review.Message, StringComparison.Ordinal);
            Assert.Contains(constraint, review.Message, StringComparison.Ordinal);

            await using var db = fx.Database.CreateContext();
            var parked = await db.Operations.SingleAsync(o => o.RequestId == review.RequestId);
            Assert.Equal(OperationState.NeedsReview, parked.State);
            Assert.Null(parked.LeaseToken);
            Assert.Null(parked.NextAttemptAt);
            // The call that was made is still on record.
            var attempt = Assert.Single(await db.Attempts.Where(a => a.OperationId == parked.Id).ToListAsync());
            Assert.Equal("4037814", attempt.ResponseCode);
        }
        finally
        {
            await ExecuteAsync($"ALTER TABLE operations DROP CONSTRAINT IF EXISTS {constraint}");
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var cmd = fx.Database.DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }
}
