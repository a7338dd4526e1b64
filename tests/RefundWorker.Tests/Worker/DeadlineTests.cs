using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// Every operation has a deadline (<c>Worker:MaxOperationAge</c>, 7 days by default): past it, whatever it waits for,
/// it goes to NeedsReview with the reason, without another call. Operations waiting on a provider that is not
/// configured are counted and reported long before that.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class DeadlineTests(WorkerFixture fx)
{
    [Fact]
    public async Task Should_send_an_operation_past_its_deadline_to_review_without_calling_the_provider()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        await InsertWaitingAsync(request, age: TimeSpan.FromDays(8));

        var review = await fx.Outcomes.WaitForAsync<RefundNeedsReview>(request.RequestId);

        Assert.Contains("MaxOperationAge", review.Message);
        Assert.Contains("never sent", review.Message);
        Assert.Empty(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_count_operations_waiting_on_an_unconfigured_provider_and_end_them_at_the_deadline()
    {
        const string retired = "retired-psp";
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original) with { Provider = retired };
        var id = await InsertWaitingAsync(request, age: TimeSpan.FromHours(1));

        var monitor = fx.Worker.Services.GetRequiredService<UnknownProviderMonitor>();
        var backlog = fx.Worker.Services.GetRequiredService<RefundWorker.Telemetry.BacklogGauges>();
        await backlog.RefreshAsync(CancellationToken.None);
        Assert.Equal(1, monitor.Waiting[retired]);

        // Still within its deadline: it waits (deferred), no outcome.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(fx.Outcomes.For(request.RequestId));

        await ExecAsync("UPDATE operations SET created_at = created_at - interval '8 days', next_attempt_at = clock_timestamp() WHERE id = $1", id);
        var review = await fx.Outcomes.WaitForAsync<RefundNeedsReview>(request.RequestId);
        Assert.Contains("MaxOperationAge", review.Message);
        await backlog.RefreshAsync(CancellationToken.None);
        Assert.False(monitor.Waiting.ContainsKey(retired));
    }

    /// <summary>An accepted operation that is due now, as if it had waited <paramref name="age"/> already.</summary>
    private async Task<Guid> InsertWaitingAsync(RefundRequested request, TimeSpan age)
    {
        var op = OperationFactory.FromMessage(request, DateTimeOffset.UtcNow - age);
        op.State = OperationState.Pending;
        op.NextAttemptAt = DateTimeOffset.UtcNow;
        await using var accept = await new OperationStore(fx.Database.DataSource).BeginAcceptAsync(CancellationToken.None);
        Assert.Contains(op.Id, await accept.InsertOperationsAsync([op], TimeSpan.FromMinutes(1), CancellationToken.None));
        await accept.CommitAsync(CancellationToken.None);
        return op.Id;
    }

    private async Task ExecAsync(string sql, Guid id)
    {
        await using var cmd = fx.Database.DataSource.CreateCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await cmd.ExecuteNonQueryAsync();
    }
}
