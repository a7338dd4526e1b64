using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>The ledger is the ground truth for "no double refund": it must hold under concurrency.</summary>
public sealed class LedgerConcurrencyTests
{
    [Fact]
    public async Task Should_never_refund_more_than_the_payment_when_1000_refunds_race_on_one_original()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 500m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();

        // 1,000 distinct refunds of 1.00 against a 500.00 payment, all in flight at once.
        var answers = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ =>
            client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "1.00"))));

        var entry = sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!;
        Assert.Equal(500, answers.Count(a => a.ResponseCode == "2007800"));
        Assert.Equal(500, answers.Count(a => a.ResponseCode == "4047813"));
        Assert.Equal(500m, entry.RefundedAmount);
        Assert.Equal(500, entry.Refunds.Count);
        Assert.Equal(500, entry.Refunds.Select(r => r.PartnerRefundNo).Distinct().Count());
        Assert.Equal(0m, entry.RemainingAmount);
    }

    [Fact]
    public async Task Should_book_one_refund_when_200_copies_of_the_same_refund_race()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        var refundNo = TestSandbox.NewRefundNo();

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ =>
            client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "100.00"))));

        var entry = sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!;
        Assert.All(answers, a => Assert.Equal("2007800", a.ResponseCode));
        Assert.Single(answers.Select(a => a.Get("referenceNo")).Distinct());
        Assert.Single(entry.Refunds);
        Assert.Equal(100m, entry.RefundedAmount);
    }

    [Fact]
    public async Task Should_book_one_refund_when_one_partner_refund_no_races_on_two_originals()
    {
        await using var sb = await TestSandbox.StartAsync();
        var one = sb.AddOriginal("nicepay", 10_000m);
        var other = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.AccessTokenAsync();
        var refundNo = TestSandbox.NewRefundNo();

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(i % 2 == 0 ? one : other, refundNo, "100.00"))));

        var booked = sb.Ledger.Find("nicepay", one.OriginalReferenceNo)!.Refunds.Count + sb.Ledger.Find("nicepay", other.OriginalReferenceNo)!.Refunds.Count;
        Assert.Equal(1, booked);
    }
}
