using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>A repeated partnerRefundNo: answered per profile setting, never booked twice.</summary>
public sealed class RefundIdempotencyTests
{
    [Fact]
    public async Task Should_answer_the_first_result_again_when_nicepay_sees_the_same_refund_twice()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var refundNo = TestSandbox.NewRefundNo();
        var client = sb.Client("nicepay");

        var first = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "3000.00"));
        sb.Clock.Advance(TimeSpan.FromSeconds(5));
        var again = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "3000.00").With("reason", "retry"));

        Assert.Equal("2007800", first.ResponseCode);
        Assert.Equal("2007800", again.ResponseCode);
        Assert.Equal(first.Get("referenceNo"), again.Get("referenceNo"));
        Assert.Equal(first.Get("refundTime"), again.Get("refundTime"));
        var entry = sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!;
        Assert.Single(entry.Refunds);
        Assert.Equal(3000m, entry.RefundedAmount);
    }

    [Fact]
    public async Task Should_answer_4047818_when_nicepay_sees_the_same_partner_refund_no_with_another_amount()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var refundNo = TestSandbox.NewRefundNo();
        var client = sb.Client("nicepay");

        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "3000.00"));
        var changed = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "3500.00"));

        Assert.Equal(404, changed.HttpStatus);
        Assert.Equal("4047818", changed.ResponseCode);
        Assert.Equal(3000m, sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.RefundedAmount);
    }

    [Fact]
    public async Task Should_answer_4047818_when_the_same_partner_refund_no_is_used_for_another_original()
    {
        await using var sb = await TestSandbox.StartAsync();
        var one = sb.AddOriginal("nicepay", 10_000m);
        var other = sb.AddOriginal("nicepay", 10_000m);
        var refundNo = TestSandbox.NewRefundNo();
        var client = sb.Client("nicepay");

        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(one, refundNo, "3000.00"));
        var elsewhere = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(other, refundNo, "3000.00"));

        Assert.Equal("4047818", elsewhere.ResponseCode);
        Assert.Empty(sb.Ledger.Find("nicepay", other.OriginalReferenceNo)!.Refunds);
    }

    [Theory]
    [InlineData("1000")]
    [InlineData("2000")]
    public async Task Should_answer_4097801_when_the_bank_sees_a_repeated_partner_refund_no_whatever_the_amount(string secondValue)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("bnc", 10_000m);
        var refundNo = TestSandbox.NewRefundNo();
        var client = sb.Client("bnc");

        var first = await client.PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, refundNo, "1000"));
        var again = await client.PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, refundNo, secondValue));

        Assert.Equal("2007800", first.ResponseCode);
        Assert.Equal(409, again.HttpStatus);
        Assert.Equal("4097801", again.ResponseCode);
        Assert.Equal(1000m, sb.Ledger.Find("bnc", original.OriginalReferenceNo)!.RefundedAmount);
    }

    [Theory]
    [InlineData(DuplicateRefundPolicy.Conflict, DuplicateMismatchPolicy.Conflict, "4097801", "4097801")]
    [InlineData(DuplicateRefundPolicy.ReturnOriginal, DuplicateMismatchPolicy.Conflict, "2007800", "4097801")]
    [InlineData(DuplicateRefundPolicy.Conflict, DuplicateMismatchPolicy.Inconsistent, "4097801", "4047818")]
    public async Task Should_answer_per_configured_policy_when_a_partner_refund_no_is_repeated(
        DuplicateRefundPolicy same, DuplicateMismatchPolicy mismatch, string expectedSame, string expectedMismatch)
    {
        await using var sb = await TestSandbox.StartAsync(s =>
        {
            s.Providers["nicepay"].DuplicateRefund = same;
            s.Providers["nicepay"].DuplicateRefundMismatch = mismatch;
        });
        var original = sb.AddOriginal("nicepay", 10_000m);
        var refundNo = TestSandbox.NewRefundNo();
        var client = sb.Client("nicepay");

        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "1000.00"));
        var sameContent = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "1000.00"));
        var otherAmount = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "2000.00"));

        Assert.Equal(expectedSame, sameContent.ResponseCode);
        Assert.Equal(expectedMismatch, otherAmount.ResponseCode);
        Assert.Single(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_refund_normally_when_a_partner_refund_no_was_only_ever_rejected()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var refundNo = TestSandbox.NewRefundNo();
        var client = sb.Client("nicepay");

        var rejected = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "20000.00"));
        var accepted = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "2000.00"));

        Assert.Equal("4047813", rejected.ResponseCode);
        Assert.Equal("2007800", accepted.ResponseCode);
    }
}
