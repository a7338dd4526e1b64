using System.Text.Json.Nodes;
using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>Refunds (service 78) against the seeded originals: NICEPAY and the bank (docs/protocol.md#nicepay-refund, #bank-refund).</summary>
public sealed class RefundTests
{
    [Fact]
    public async Task Should_refund_and_book_the_ledger_with_the_seed_fields_when_a_nicepay_refund_is_valid()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var refundNo = TestSandbox.NewRefundNo();

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "2500.00"));

        Assert.Equal(200, answer.HttpStatus);
        Assert.Equal("2007800", answer.ResponseCode);
        Assert.Equal("Successful", answer.Get("responseMessage"));
        Assert.Equal(original.OriginalReferenceNo, answer.Get("originalReferenceNo"));
        Assert.Equal(original.OriginalPartnerReferenceNo, answer.Get("originalPartnerReferenceNo"));
        Assert.Equal(refundNo, answer.Get("partnerRefundNo"));
        Assert.Equal("2500.00", answer.Get("refundAmount.value"));
        Assert.Equal("IDR", answer.Get("refundAmount.currency"));
        Assert.EndsWith("+07:00", answer.Get("refundTime"), StringComparison.Ordinal);
        Assert.Equal(20, answer.Get("additionalInfo.cancelTrxSn")!.Length);
        var entry = sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!;
        var refund = Assert.Single(entry.Refunds);
        Assert.Equal(refundNo, refund.PartnerRefundNo);
        Assert.Equal(answer.Get("referenceNo"), refund.ReferenceNo);
        Assert.Equal(2500m, entry.RefundedAmount);
        Assert.Equal(7500m, entry.RemainingAmount);
        Assert.Equal("04", entry.LatestTransactionStatus);
    }

    [Fact]
    public async Task Should_refund_with_the_bank_sample_fields_when_the_amount_has_no_decimals()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("bnc", 5_000m);
        var refundNo = "OY!_202307211689928187";

        var answer = await sb.Client("bnc").PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, refundNo, "1000"));

        Assert.Equal("2007800", answer.ResponseCode);
        Assert.Equal("1000", answer.Get("refundAmount.value"));
        Assert.Equal(refundNo, answer.Get("partnerRefundNo"));
        Assert.Equal(25, answer.Get("referenceNo")!.Length);
        Assert.Equal("POS", answer.Get("additionalInfo.channel"));
        Assert.Equal(32, answer.Get("additionalInfo.traceId")!.Length);
        Assert.Equal(string.Empty, answer.Get("originalExternalId"));
        Assert.Equal(1000m, sb.Ledger.Find("bnc", original.OriginalReferenceNo)!.RefundedAmount);
    }

    [Fact]
    public async Task Should_find_the_original_by_its_external_id_when_the_bank_request_names_only_that()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("bnc", 5_000m, externalId: "41807553358950093184162180797837");
        var body = Requests.BncRefund(original, TestSandbox.NewRefundNo(), "1000.00").Without("originalReferenceNo").With("originalExternalId", "41807553358950093184162180797837");

        var answer = await sb.Client("bnc").PostAsync(SandboxOperation.Refund, body);

        Assert.Equal("2007800", answer.ResponseCode);
        Assert.Equal(1000m, sb.Ledger.Find("bnc", original.OriginalReferenceNo)!.RefundedAmount);
    }

    [Fact]
    public async Task Should_answer_4007802_when_the_bank_request_names_no_original_at_all()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("bnc", 5_000m);

        var answer = await sb.Client("bnc").PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, TestSandbox.NewRefundNo()).Without("originalReferenceNo"));

        Assert.Equal("4007802", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4047801_when_the_original_is_unknown()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()).With("originalReferenceNo", "NCPY00000000000000"));

        Assert.Equal(404, answer.HttpStatus);
        Assert.Equal("4047801", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4047801_when_the_two_references_name_different_originals()
    {
        await using var sb = await TestSandbox.StartAsync();
        var one = sb.AddOriginal("nicepay", 10_000m);
        var other = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(one, TestSandbox.NewRefundNo()).With("originalPartnerReferenceNo", other.OriginalPartnerReferenceNo));

        Assert.Equal("4047801", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4047801_when_the_merchant_id_is_not_the_originals()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()).With("merchantId", "OTHERMID01"));

        Assert.Equal("4047801", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4047813_and_book_nothing_when_the_amount_exceeds_the_refundable_remainder()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");

        var first = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "6000.00"));
        var over = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "4000.01"));
        var exact = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "4000.00"));
        var nothingLeft = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "0.01"));

        Assert.Equal("2007800", first.ResponseCode);
        Assert.Equal("4047813", over.ResponseCode);
        Assert.Equal("2007800", exact.ResponseCode);
        Assert.Equal("4047813", nothingLeft.ResponseCode);
        var entry = sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!;
        Assert.Equal(10_000m, entry.RefundedAmount);
        Assert.Equal(2, entry.Refunds.Count);
        Assert.Equal("Refunded", entry.TransactionStatusDesc);
    }

    [Fact]
    public async Task Should_refund_everything_when_a_full_refund_carries_the_whole_amount()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "10000.00", cancelType: "1"));

        Assert.Equal("2007800", answer.ResponseCode);
        Assert.Equal(0m, sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.RemainingAmount);
    }

    [Theory]
    [InlineData("5000.00", false)]
    [InlineData("10000.00", true)]
    public async Task Should_answer_4047813_when_a_full_refund_is_not_the_whole_unrefunded_amount(string value, bool partiallyRefundedBefore)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        if (partiallyRefundedBefore)
        {
            Assert.Equal("2007800", (await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "1.00"))).ResponseCode);
        }

        var answer = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), value, cancelType: "1"));

        Assert.Equal("4047813", answer.ResponseCode);
    }

    [Theory]
    [InlineData("originalReferenceNo")]
    [InlineData("originalPartnerReferenceNo")]
    [InlineData("partnerRefundNo")]
    [InlineData("merchantId")]
    [InlineData("refundAmount")]
    [InlineData("refundAmount.value")]
    [InlineData("refundAmount.currency")]
    [InlineData("additionalInfo")]
    [InlineData("additionalInfo.cancelType")]
    public async Task Should_answer_4007802_naming_the_field_when_a_nicepay_mandatory_field_is_missing(string field)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()).Without(field));

        Assert.Equal("4007802", answer.ResponseCode);
        Assert.Equal($"Invalid Mandatory Field {{{field}}}", answer.Get("responseMessage"));
        Assert.Empty(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_answer_4007802_when_a_mandatory_field_is_an_empty_string()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, string.Empty));

        Assert.Equal("4007802", answer.ResponseCode);
        Assert.Equal("Invalid Mandatory Field {partnerRefundNo}", answer.Get("responseMessage"));
    }

    [Theory]
    [InlineData("10000")]
    [InlineData("10,000.00")]
    [InlineData("10000.0")]
    [InlineData("10000.000")]
    [InlineData("-5.00")]
    [InlineData("+5.00")]
    [InlineData("0.00")]
    [InlineData("1e4")]
    [InlineData("01000.00")]
    [InlineData(" 1000.00")]
    public async Task Should_answer_4007801_when_the_nicepay_amount_is_not_positive_with_two_decimals(string value)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 100_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), value));

        Assert.Equal("4007801", answer.ResponseCode);
        Assert.Equal("Invalid Field Format {refundAmount.value}", answer.Get("responseMessage"));
    }

    [Fact]
    public async Task Should_answer_4007801_when_the_amount_is_a_json_number()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 100_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()).With("refundAmount.value", 1000));

        Assert.Equal("4007801", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4007801_when_the_bank_amount_is_longer_than_ten_characters()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("bnc", 100_000_000_000m);

        var ten = await sb.Client("bnc").PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, TestSandbox.NewRefundNo(), "1000000.00"));
        var eleven = await sb.Client("bnc").PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, TestSandbox.NewRefundNo(), "10000000.00"));

        Assert.Equal("2007800", ten.ResponseCode);
        Assert.Equal("4007801", eleven.ResponseCode);
    }

    [Theory]
    [InlineData("USD")]
    [InlineData("idr")]
    public async Task Should_answer_4007801_when_the_currency_is_not_IDR(string currency)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()).With("refundAmount.currency", currency));

        Assert.Equal("4007801", answer.ResponseCode);
        Assert.Equal("Invalid Field Format {refundAmount.currency}", answer.Get("responseMessage"));
    }

    [Theory]
    [InlineData("partnerRefundNo", 41)]
    [InlineData("originalReferenceNo", 41)]
    [InlineData("reason", 257)]
    public async Task Should_answer_4007801_when_a_nicepay_field_is_too_long(string field, int length)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()).With(field, new string('9', length)));

        Assert.Equal("4007801", answer.ResponseCode);
        Assert.Equal($"Invalid Field Format {{{field}}}", answer.Get("responseMessage"));
    }

    [Theory]
    [InlineData("3")]
    [InlineData("F")]
    public async Task Should_answer_4007801_when_the_cancel_type_is_neither_full_nor_partial(string cancelType)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), cancelType: cancelType));

        Assert.Equal("4007801", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4007801_when_a_string_field_has_another_json_type()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()).With("partnerRefundNo", new JsonArray("a")));

        Assert.Equal("4007801", answer.ResponseCode);
        Assert.Equal("Invalid Field Format {partnerRefundNo}", answer.Get("responseMessage"));
    }

    [Theory]
    [InlineData(OriginalStatus.Pending)]
    [InlineData(OriginalStatus.Failed)]
    public async Task Should_answer_4037815_when_the_original_was_never_paid(OriginalStatus status)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m, status: status);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo()));

        Assert.Equal("4037815", answer.ResponseCode);
        Assert.Empty(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_not_serve_a_refund_when_the_profile_has_none()
    {
        await using var sb = await TestSandbox.StartAsync();
        var token = await sb.Client("ifortepay").AccessTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sb.Handle.ProviderUrl("ifortepay") + "/v1.0/qr/qr-mpm-refund"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        using var response = await sb.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }
}
