using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

[Collection(WorkerCollection.Name)]
public sealed class HappyPathTests(WorkerFixture fx)
{
    [Fact]
    public async Task Should_refund_once_and_publish_RefundSucceeded_when_nicepay_accepts()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 25_000m);

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal(request.PartnerRefundNo, succeeded.PartnerRefundNo);
        Assert.Equal(25_000m, succeeded.Amount);
        Assert.Equal("IDR", succeeded.Currency);
        Assert.Equal(1, succeeded.Attempts);
        Assert.Equal("2007800", succeeded.ResponseCode);
        var booked = Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        Assert.Equal(request.PartnerRefundNo, booked.PartnerRefundNo);
        Assert.Equal(booked.ReferenceNo, succeeded.ReferenceNo);
        // Attempt 1 carries the message's X-EXTERNAL-ID.
        Assert.Equal(request.ExternalId, booked.ExternalId);

        await using var db = fx.Database.CreateContext();
        var op = await db.Operations.Include(o => o.AttemptLog).SingleAsync(o => o.PartnerRefundNo == request.PartnerRefundNo);
        Assert.Equal(OperationState.Succeeded, op.State);
        var attempt = Assert.Single(op.AttemptLog);
        Assert.Equal(request.ExternalId, attempt.ExternalId);
        Assert.Equal(200, attempt.HttpStatus);
        Assert.Equal("2007800", attempt.ResponseCode);
        Assert.Equal("Success", attempt.Classification);
        Assert.Null(op.LeaseToken);
    }

    [Fact]
    public async Task Should_refund_once_when_the_bank_accepts()
    {
        var original = fx.Sandbox.Original("bnc");
        var request = Requests.BankRefund(original, 5_000m);

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        Assert.Equal(1, succeeded.Attempts);
        Assert.Equal(5_000m, succeeded.Amount);
        var entry = fx.Sandbox.Ledger.Find("bnc", original.OriginalReferenceNo)!;
        Assert.Equal(5_000m, entry.RefundedAmount);
        Assert.Equal(request.PartnerRefundNo, Assert.Single(entry.Refunds).PartnerRefundNo);
    }

    [Fact]
    public async Task Should_cancel_once_and_publish_CancelSucceeded_when_ifortepay_accepts()
    {
        var original = fx.Sandbox.Original("ifortepay");
        var request = Requests.IfortepayCancel(original);

        await fx.PublishAsync(request);
        var succeeded = await fx.Outcomes.WaitForAsync<CancelSucceeded>(request.RequestId);

        Assert.Equal(request.OriginalPartnerReferenceNo, succeeded.OriginalPartnerReferenceNo);
        Assert.Equal(1, succeeded.Attempts);
        Assert.NotNull(succeeded.CancelTime);
        var cancel = fx.Sandbox.Ledger.Find("ifortepay", original.OriginalReferenceNo)!.Cancel;
        Assert.NotNull(cancel);
        Assert.Equal(request.ExternalId, cancel.ExternalId);
    }
}
