using Microsoft.EntityFrameworkCore;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>Idempotency: duplicates cause no second provider call; conflicts are rejected and name the conflict.</summary>
[Collection(WorkerCollection.Name)]
public sealed class IdempotencyTests(WorkerFixture fx)
{
    [Fact]
    public async Task Should_not_refund_again_and_republish_the_same_outcome_when_the_same_message_arrives_after_the_outcome()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        await fx.PublishAsync(request);
        var first = (await fx.Outcomes.WaitForAsync(request.RequestId, WorkerFixture.OutcomeTimeout))[0];

        await fx.PublishAsync(request);
        var events = await fx.Outcomes.WaitForAsync(request.RequestId, WorkerFixture.OutcomeTimeout, count: 2);

        Assert.All(events, e => Assert.IsType<RefundSucceeded>(e.Message));
        Assert.Equal(first.MessageId, events[1].MessageId);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        await using var db = fx.Database.CreateContext();
        Assert.Equal(1, await db.Attempts.CountAsync(a => db.Operations.Any(o => o.Id == a.OperationId && o.PartnerRefundNo == request.PartnerRefundNo)));
    }

    [Fact]
    public async Task Should_rebuild_the_outcome_event_when_a_duplicate_arrives_after_the_outbox_row_was_cleaned_up()
    {
        var original = fx.Sandbox.Original("bnc");
        var request = Requests.BankRefund(original);
        await fx.PublishAsync(request);
        var first = (await fx.Outcomes.WaitForAsync(request.RequestId, WorkerFixture.OutcomeTimeout))[0];
        await using (var cmd = fx.Database.DataSource.CreateCommand("DELETE FROM outbox WHERE id = $1"))
        {
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = first.MessageId!.Value });
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        await fx.PublishAsync(request);
        var events = await fx.Outcomes.WaitForAsync(request.RequestId, WorkerFixture.OutcomeTimeout, count: 2);

        var again = Assert.IsType<RefundSucceeded>(events[1].Message);
        Assert.Equal(((RefundSucceeded)first.Message).ReferenceNo, again.ReferenceNo);
        Assert.Single(fx.Sandbox.Ledger.Find("bnc", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_call_the_provider_once_when_the_same_request_is_published_many_times_at_once()
    {
        var original = fx.Sandbox.Original("bnc");
        var request = Requests.BankRefund(original);

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => fx.PublishAsync(request)));
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);
        await Task.Delay(500);

        var entry = fx.Sandbox.Ledger.Find("bnc", original.OriginalReferenceNo)!;
        Assert.Single(entry.Refunds);
        await using var db = fx.Database.CreateContext();
        var op = await db.Operations.SingleAsync(o => o.PartnerRefundNo == request.PartnerRefundNo);
        Assert.Equal(1, await db.Attempts.CountAsync(a => a.OperationId == op.Id));
    }

    [Fact]
    public async Task Should_reject_naming_the_amount_when_the_same_key_arrives_with_a_different_amount()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 10_000m);
        await fx.PublishAsync(request);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        var conflicting = request with { RequestId = Guid.NewGuid(), ExternalId = Requests.ExternalId(), Amount = 20_000m };
        await fx.PublishAsync(conflicting);
        var rejected = await fx.Outcomes.WaitForAsync<RefundRejected>(conflicting.RequestId);

        var error = Assert.Single(rejected.Errors);
        Assert.Equal("amount", error.Field);
        Assert.Equal("conflict", error.Rule);
        Assert.Contains("10000.00", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, rejected.Attempts);
        var booked = Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        Assert.Equal(10_000m, booked.Amount);
    }

    [Fact]
    public async Task Should_reject_naming_the_external_id_when_another_operation_already_used_it()
    {
        var first = Requests.BankRefund(fx.Sandbox.Original("bnc"));
        await fx.PublishAsync(first);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(first.RequestId);

        var original = fx.Sandbox.Original("bnc");
        var second = Requests.BankRefund(original) with { ExternalId = first.ExternalId };
        await fx.PublishAsync(second);
        var rejected = await fx.Outcomes.WaitForAsync<RefundRejected>(second.RequestId);

        Assert.Equal("externalId", Assert.Single(rejected.Errors).Field);
        Assert.Empty(fx.Sandbox.Ledger.Find("bnc", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_reject_with_every_field_error_and_send_nothing_when_the_request_breaks_the_SNAP_rules()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original) with
        {
            Currency = "USD",
            AdditionalInfo = null,
            PartnerRefundNo = new string('7', 41),
        };

        await fx.PublishAsync(request);
        var rejected = await fx.Outcomes.WaitForAsync<RefundRejected>(request.RequestId);

        Assert.Contains(rejected.Errors, e => e.Field == "refundAmount.currency" && e.Rule == "currency");
        Assert.Contains(rejected.Errors, e => e.Field == "additionalInfo.cancelType" && e.Rule == "mandatory");
        Assert.Contains(rejected.Errors, e => e.Field == "partnerRefundNo" && e.Rule == "maxLength:40");
        Assert.Empty(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        await using var db = fx.Database.CreateContext();
        var op = await db.Operations.SingleAsync(o => o.RequestId == request.RequestId);
        Assert.Equal(OperationState.Rejected, op.State);
        Assert.Equal(0, await db.Attempts.CountAsync(a => a.OperationId == op.Id));
    }

    [Fact]
    public async Task Should_reject_naming_the_provider_when_it_is_not_configured()
    {
        var request = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant)) with { Provider = "gopay" };

        await fx.PublishAsync(request);
        var rejected = await fx.Outcomes.WaitForAsync<RefundRejected>(request.RequestId);

        var error = Assert.Single(rejected.Errors);
        Assert.Equal("provider", error.Field);
        Assert.Equal("unknownProvider", error.Rule);
    }

    [Fact]
    public async Task Should_cancel_once_when_the_cancel_is_requested_twice()
    {
        var original = fx.Sandbox.Original("ifortepay");
        var request = Requests.IfortepayCancel(original);
        await fx.PublishAsync(request);
        await fx.Outcomes.WaitForAsync<CancelSucceeded>(request.RequestId);

        var again = request with { RequestId = Guid.NewGuid(), ExternalId = Requests.ExternalId() };
        await fx.PublishAsync(again);

        // A repeat by key and content under another RequestId: no new call; the recorded outcome is sent with the new
        // RequestId (and re-sent with the first).
        Assert.Equal(again.RequestId, (await fx.Outcomes.WaitForAsync<CancelSucceeded>(again.RequestId)).RequestId);
        Assert.Equal(2, (await fx.Outcomes.WaitForAsync(request.RequestId, WorkerFixture.OutcomeTimeout, count: 2)).Count);
        Assert.Equal(request.ExternalId, fx.Sandbox.Ledger.Find("ifortepay", original.OriginalReferenceNo)!.Cancel!.ExternalId);
        await using var db = fx.Database.CreateContext();
        Assert.Equal(1, await db.Attempts.CountAsync(a => db.Operations.Any(o => o.Id == a.OperationId && o.RequestId == request.RequestId)));
    }
}
