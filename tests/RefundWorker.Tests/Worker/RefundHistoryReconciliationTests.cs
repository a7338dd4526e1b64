using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// A lost answer to a partial refund, resolved by status query: at the first query when the provider lists its
/// refunds (SNAP's refundHistory), never claimed when it lists none (NICEPAY), never by a blind second refund.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class RefundHistoryReconciliationTests(WorkerFixture fx) : IAsyncLifetime
{
    private const string Listing = WorkerFixture.HistoryProvider;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        foreach (var provider in new[] { "nicepay", Listing, WorkerFixture.NonIdempotentProvider })
        {
            fx.Sandbox.Faults.ClearScript(provider);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_succeed_at_the_first_status_query_when_the_provider_lists_the_lost_partial_refund_in_refundHistory()
    {
        var original = fx.Sandbox.Original(Listing, merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 10_000m) with { Provider = Listing };
        fx.Sandbox.Faults.Script(Listing, SandboxOperation.Refund, FaultStep.Of(FaultKind.LostResponse504));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        var booked = Assert.Single(fx.Sandbox.Ledger.Find(Listing, original.OriginalReferenceNo)!.Refunds);
        Assert.Equal(request.PartnerRefundNo, booked.PartnerRefundNo);
        Assert.Equal("2", booked.CancelType);
        Assert.Equal(1, succeeded.Attempts);
        Assert.Equal("2005100", succeeded.ResponseCode);
        Assert.Equal(booked.ReferenceNo, succeeded.ReferenceNo);
        Assert.Equal(booked.RefundTime.ToUnixTimeSeconds(), succeeded.RefundTime!.Value.ToUnixTimeSeconds());
        var op = await OperationOf(request.RequestId);
        Assert.Equal(1, op.Queries);
        Assert.Equal(["send", "query"], (await AttemptsOf(op)).Select(a => a.Action));
    }

    [Fact]
    public async Task Should_resend_once_and_succeed_when_refundHistory_shows_only_another_refund_of_the_payment()
    {
        // Another partial refund makes the payment "04"; the list says it is not ours, so ours was not made.
        var original = fx.Sandbox.Original(Listing, merchantId: Requests.NicepayMerchant);
        var earlier = Requests.NicepayRefund(original, 5_000m) with { Provider = Listing };
        await fx.PublishAsync(earlier);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(earlier.RequestId);
        var request = Requests.NicepayRefund(original, 10_000m) with { Provider = Listing };
        fx.Sandbox.Faults.Script(Listing, SandboxOperation.Refund, FaultStep.Of(FaultKind.Error504));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal(2, succeeded.Attempts);
        Assert.Single(fx.Sandbox.Ledger.Find(Listing, original.OriginalReferenceNo)!.Refunds, r => r.PartnerRefundNo == request.PartnerRefundNo);
        Assert.Equal(["send", "query", "send"], (await AttemptsOf(await OperationOf(request.RequestId))).Select(a => a.Action));
    }

    [Fact]
    public async Task Should_end_in_NeedsReview_and_never_succeed_when_nicepay_lists_no_refunds_and_a_partial_refund_response_is_lost()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 10_000m);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.LostResponse504));

        await fx.PublishAsync(request);
        var review = await fx.Outcomes.WaitForAsync<RefundNeedsReview>(request.RequestId);

        // "04" without a list proves no partial refund: every reconciliation step stays unknown, nothing is re-sent.
        Assert.DoesNotContain(fx.Outcomes.For(request.RequestId), e => e.Message is RefundSucceeded);
        Assert.Equal(1, review.Attempts);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        Assert.Equal(["send", "query", "query", "query"], (await AttemptsOf(await OperationOf(request.RequestId))).Select(a => a.Action));
    }

    [Fact]
    public async Task Should_not_refund_twice_when_a_provider_without_idempotency_loses_a_partial_refund_response()
    {
        // This provider books every re-send of a partnerRefundNo again: a blind re-send would show a second entry.
        const string provider = WorkerFixture.NonIdempotentProvider;
        var original = fx.Sandbox.Original(provider, merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 10_000m) with { Provider = provider };
        fx.Sandbox.Faults.Script(provider, SandboxOperation.Refund, FaultStep.Of(FaultKind.LostResponseAbort));

        await fx.PublishAsync(request);
        var outcome = (await fx.Outcomes.WaitForAsync(request.RequestId, WorkerFixture.OutcomeTimeout))[0].Message;

        // The ledger first: a second booking under our key is the double refund this provider lets through.
        var entry = fx.Sandbox.Ledger.Find(provider, original.OriginalReferenceNo)!;
        Assert.Single(entry.Refunds, r => r.PartnerRefundNo == request.PartnerRefundNo);
        Assert.Equal(10_000m, entry.RefundedAmount);
        Assert.IsType<RefundNeedsReview>(outcome);
    }

    private async Task<Operation> OperationOf(Guid requestId)
    {
        await using var db = fx.Database.CreateContext();
        return await db.Operations.AsNoTracking().SingleAsync(o => o.RequestId == requestId && o.State != OperationState.Rejected);
    }

    private async Task<List<Attempt>> AttemptsOf(Operation op)
    {
        await using var db = fx.Database.CreateContext();
        return await db.Attempts.Where(a => a.OperationId == op.Id).OrderBy(a => a.Number).ThenBy(a => a.Id).ToListAsync();
    }
}
