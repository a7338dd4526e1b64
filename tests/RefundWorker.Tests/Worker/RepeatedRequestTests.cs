using Microsoft.EntityFrameworkCore;
using RefundWorker.Operations;
using RefundWorker.Contracts;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// An order system that sends the same refund again under a fresh RequestId (same key, same content) gets no second
/// provider call, and an outcome event carrying each RequestId: whether the repeat arrives after the outcome, while
/// the call is in flight, or in the same batch. Found by the chaos run, where such a repeat waited forever: the worker
/// took it for a redelivery and published only the first request's event.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class RepeatedRequestTests(WorkerFixture fx) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fx.Sandbox.Faults.ClearScript("nicepay");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_send_the_outcome_again_under_the_new_RequestId_when_a_repeat_arrives_after_the_outcome()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var first = Requests.NicepayRefund(original);
        await fx.PublishAsync(first);
        var firstOutcome = Assert.IsType<RefundSucceeded>((await fx.Outcomes.WaitForAsync(first.RequestId, WorkerFixture.OutcomeTimeout))[0].Message);

        var repeat = first with { RequestId = Guid.NewGuid(), ExternalId = Requests.ExternalId() };
        await fx.PublishAsync(repeat);
        var repeated = (await fx.Outcomes.WaitForAsync(repeat.RequestId, WorkerFixture.OutcomeTimeout))[0];

        var succeeded = Assert.IsType<RefundSucceeded>(repeated.Message);
        Assert.Equal(repeat.RequestId, succeeded.RequestId);
        Assert.Equal(firstOutcome.ReferenceNo, succeeded.ReferenceNo);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);

        // The repeat redelivered: its event again, with the same MessageId.
        await fx.PublishAsync(repeat);
        var again = await fx.Outcomes.WaitForAsync(repeat.RequestId, WorkerFixture.OutcomeTimeout, count: 2);
        Assert.Equal(repeated.MessageId, again[1].MessageId);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_take_a_repeat_spelling_the_provider_differently_for_the_same_refund_not_a_conflict()
    {
        // Keys and fingerprints use the configured spelling of the provider's name, whatever the message said.
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var first = Requests.NicepayRefund(original) with { Provider = "NICEPAY" };
        await fx.PublishAsync(first);
        var firstOutcome = Assert.IsType<RefundSucceeded>((await fx.Outcomes.WaitForAsync(first.RequestId, WorkerFixture.OutcomeTimeout))[0].Message);

        var repeat = first with { RequestId = Guid.NewGuid(), ExternalId = Requests.ExternalId(), Provider = " NicePay " };
        await fx.PublishAsync(repeat);
        var repeated = Assert.IsType<RefundSucceeded>((await fx.Outcomes.WaitForAsync(repeat.RequestId, WorkerFixture.OutcomeTimeout))[0].Message);

        Assert.Equal(firstOutcome.ReferenceNo, repeated.ReferenceNo);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
        await using var db = fx.Database.CreateContext();
        var stored = Assert.Single(await db.Operations.Where(o => o.PartnerRefundNo == first.PartnerRefundNo).ToListAsync());
        Assert.Equal("nicepay", stored.Provider);
        Assert.Equal(OperationFactory.Fingerprint(stored), stored.Fingerprint);
    }

    [Fact]
    public async Task Should_give_each_RequestId_its_outcome_when_a_repeat_arrives_while_the_call_is_in_flight()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var first = Requests.NicepayRefund(original);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.None, delayMs: 1_500));
        await fx.PublishAsync(first);
        await WaitForCallAsync(original.OriginalReferenceNo);

        var repeat = first with { RequestId = Guid.NewGuid(), ExternalId = Requests.ExternalId() };
        await fx.PublishAsync(repeat);

        var a = await fx.Outcomes.WaitForAsync(first.RequestId, WorkerFixture.OutcomeTimeout);
        var b = await fx.Outcomes.WaitForAsync(repeat.RequestId, WorkerFixture.OutcomeTimeout);
        Assert.Equal(first.RequestId, Assert.IsType<RefundSucceeded>(a[0].Message).RequestId);
        Assert.Equal(repeat.RequestId, Assert.IsType<RefundSucceeded>(b[0].Message).RequestId);
        Assert.NotEqual(a[0].MessageId, b[0].MessageId);
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_give_each_RequestId_its_outcome_when_repeats_arrive_together()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var first = Requests.NicepayRefund(original);
        var repeats = Enumerable.Range(0, 5).Select(_ => first with { RequestId = Guid.NewGuid(), ExternalId = Requests.ExternalId() }).Prepend(first).ToList();

        await Task.WhenAll(repeats.Select(r => fx.PublishAsync(r)));

        foreach (var r in repeats)
        {
            var events = await fx.Outcomes.WaitForAsync(r.RequestId, WorkerFixture.OutcomeTimeout);
            Assert.Equal(r.RequestId, Assert.IsType<RefundSucceeded>(events[0].Message).RequestId);
        }

        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    /// <summary>Waits until the sandbox has received the refund call (it is held by the scripted delay).</summary>
    private async Task WaitForCallAsync(string originalReferenceNo)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (fx.Sandbox.Faults.PendingScript("nicepay", SandboxOperation.Refund).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no refund call for {originalReferenceNo} within 30 s");
            await Task.Delay(50);
        }
    }
}
