using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>Classification (docs/protocol.md#classification), retries and reconciliation against injected provider faults.</summary>
[Collection(WorkerCollection.Name)]
public sealed class FailureHandlingTests(WorkerFixture fx) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fx.Sandbox.Faults.ClearScript("nicepay");
        fx.Sandbox.Faults.ClearScript("bnc");
        fx.Sandbox.Faults.ClearScript("ifortepay");
        fx.Sandbox.Faults.Set("nicepay", new FaultSettings());
        fx.Sandbox.Faults.Set(WorkerFixture.TokenExpiryProvider, new FaultSettings());
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_query_then_refund_once_when_nicepay_answers_503_then_succeeds()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.Error503));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal(2, succeeded.Attempts);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        var attempts = await AttemptsOf(request.RequestId);
        Assert.Equal(["send", "query", "send"], attempts.Select(a => a.Action));
        Assert.Equal(503, attempts[0].HttpStatus);
        Assert.Equal("OutcomeUnknown", attempts[0].Classification);
        // Every call has its own X-EXTERNAL-ID; attempt 1 is the message's.
        Assert.Equal(request.ExternalId, attempts[0].ExternalId);
        Assert.Equal(3, attempts.Select(a => a.ExternalId).Distinct().Count());
    }

    [Fact]
    public async Task Should_resend_the_same_partnerRefundNo_and_refund_once_when_the_bank_answers_503_then_succeeds()
    {
        var original = fx.Sandbox.Original("bnc");
        var request = Requests.BankRefund(original);
        fx.Sandbox.Faults.Script("bnc", SandboxOperation.Refund, FaultStep.Of(FaultKind.Error503));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal(2, succeeded.Attempts);
        var refund = Assert.Single(fx.Sandbox.Ledger.Find("bnc", original.OriginalReferenceNo)!.Refunds);
        Assert.Equal(request.PartnerRefundNo, refund.PartnerRefundNo);
        Assert.NotEqual(request.ExternalId, refund.ExternalId);
    }

    [Fact]
    public async Task Should_back_off_and_retry_when_the_provider_answers_429_then_succeeds()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.Error429));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal(2, succeeded.Attempts);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        var attempts = await AttemptsOf(request.RequestId);
        // Retryable: not processed, so no status query is needed before the retry.
        Assert.Equal(["send", "send"], attempts.Select(a => a.Action));
        Assert.Equal("Retryable", attempts[0].Classification);
        Assert.Equal("4297800", attempts[0].ResponseCode);
    }

    [Fact]
    public async Task Should_give_up_with_RefundFailed_retries_exhausted_when_the_provider_keeps_answering_429()
    {
        var original = fx.Sandbox.Original("bnc");
        var request = Requests.BankRefund(original);
        fx.Sandbox.Faults.Script("bnc", SandboxOperation.Refund, [.. Enumerable.Repeat(FaultStep.Of(FaultKind.Error429), 4)]);

        await fx.PublishAsync(request);
        var failed = await fx.Outcomes.WaitForAsync<RefundFailed>(request.RequestId);

        Assert.Equal("retries_exhausted", failed.ErrorCode);
        Assert.Equal(4, failed.Attempts);
        Assert.Empty(fx.Sandbox.Ledger.Find("bnc", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_refresh_the_token_and_succeed_when_the_token_expires_mid_run()
    {
        // A provider of its own, so no other test has warmed its token: tokens die after 1s although expiresIn
        // announces 900, and the worker's cached token goes stale mid-run.
        const string provider = WorkerFixture.TokenExpiryProvider;
        fx.Sandbox.Faults.Set(provider, new FaultSettings { TokenActualLifetimeSeconds = 1 });
        var original = fx.Sandbox.Original(provider, merchantId: Requests.NicepayMerchant);
        var first = Requests.NicepayRefund(original, 1_000m) with { Provider = provider };
        await fx.PublishAsync(first);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(first.RequestId);
        Assert.Equal(0, fx.Sandbox.Stats.Count(provider, SandboxOperation.Refund, "4017801"));

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var second = Requests.NicepayRefund(original, 2_000m) with { Provider = provider };
        await fx.PublishAsync(second);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(second.RequestId);

        Assert.Equal(1, succeeded.Attempts);
        Assert.Equal(1, fx.Sandbox.Stats.Count(provider, SandboxOperation.Refund, "4017801"));
        Assert.Equal(2, fx.Sandbox.Stats.Count(provider, SandboxOperation.Token, "2007300"));
        Assert.Equal(2, fx.Sandbox.Ledger.Find(provider, original.OriginalReferenceNo)!.Refunds.Count);
    }

    [Fact]
    public async Task Should_confirm_by_query_and_refund_exactly_once_when_the_response_of_a_full_refund_is_lost()
    {
        // NICEPAY lists no refunds: "04" proves a full refund (a lost partial one: RefundHistoryReconciliationTests).
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, original.Amount);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.LostResponse504));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        var booked = Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        Assert.Equal(request.PartnerRefundNo, booked.PartnerRefundNo);
        Assert.Equal("1", booked.CancelType);
        Assert.Equal(1, succeeded.Attempts);
        var attempts = await AttemptsOf(request.RequestId);
        Assert.Equal(["send", "query"], attempts.Select(a => a.Action));
        Assert.Equal("5047800", attempts[0].ResponseCode);
        Assert.Equal("2005100", attempts[1].ResponseCode);
    }

    [Fact]
    public async Task Should_read_409xx01_on_the_resend_as_already_refunded_when_the_bank_lost_the_response()
    {
        var original = fx.Sandbox.Original("bnc");
        var request = Requests.BankRefund(original);
        fx.Sandbox.Faults.Script("bnc", SandboxOperation.Refund, FaultStep.Of(FaultKind.LostResponseAbort));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal("4097801", succeeded.ResponseCode);
        Assert.Equal(2, succeeded.Attempts);
        var booked = Assert.Single(fx.Sandbox.Ledger.Find("bnc", original.OriginalReferenceNo)!.Refunds);
        Assert.Equal(request.ExternalId, booked.ExternalId);
    }

    [Fact]
    public async Task Should_fail_without_retrying_when_the_provider_answers_403xx14()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Respond("4037814", "Insufficient Funds"));

        await fx.PublishAsync(request);
        var failed = await fx.Outcomes.WaitForAsync<RefundFailed>(request.RequestId);

        Assert.Equal("insufficient_funds", failed.ErrorCode);
        Assert.Equal("4037814", failed.ResponseCode);
        Assert.Equal(1, failed.Attempts);
        Assert.Empty(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        Assert.Single(await AttemptsOf(request.RequestId));
    }

    [Fact]
    public async Task Should_go_to_NeedsReview_without_resending_when_reconciliation_is_exhausted()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.Error504));
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Query, [.. Enumerable.Repeat(FaultStep.Of(FaultKind.Error500), 3)]);

        await fx.PublishAsync(request);
        var review = await fx.Outcomes.WaitForAsync<RefundNeedsReview>(request.RequestId);

        Assert.Equal(1, review.Attempts);
        Assert.Contains("3 reconciliation steps", review.Message, StringComparison.Ordinal);
        Assert.Empty(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        var attempts = await AttemptsOf(request.RequestId);
        Assert.Equal(["send", "query", "query", "query"], attempts.Select(a => a.Action));
    }

    [Fact]
    public async Task Should_confirm_the_cancel_by_query_when_ifortepay_loses_the_response()
    {
        var original = fx.Sandbox.Original("ifortepay");
        var request = Requests.IfortepayCancel(original);
        fx.Sandbox.Faults.Script("ifortepay", SandboxOperation.Cancel, FaultStep.Of(FaultKind.LostResponse504));

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<CancelSucceeded>(request.RequestId);

        Assert.Equal(1, succeeded.Attempts);
        Assert.Equal(request.ExternalId, fx.Sandbox.Ledger.Find("ifortepay", original.OriginalReferenceNo)!.Cancel!.ExternalId);
    }

    private async Task<List<Attempt>> AttemptsOf(Guid requestId)
    {
        await using var db = fx.Database.CreateContext();
        var op = await db.Operations.SingleAsync(o => o.RequestId == requestId && o.State != OperationState.Rejected);
        return await db.Attempts.Where(a => a.OperationId == op.Id).OrderBy(a => a.Number).ThenBy(a => a.Id).ToListAsync();
    }
}
