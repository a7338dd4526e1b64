using System.Text.Json;
using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>QR MPM query (service 51): how a worker resolves an unknown outcome.</summary>
public sealed class QueryTests
{
    [Fact]
    public async Task Should_report_00_when_the_payment_was_never_refunded()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal("2005100", answer.ResponseCode);
        Assert.Equal("00", answer.Get("latestTransactionStatus"));
        Assert.Equal("10000.00", answer.Get("amount.value"));
        Assert.Equal(original.OriginalReferenceNo, answer.Get("originalReferenceNo"));
    }

    [Fact]
    public async Task Should_report_04_and_the_amounts_refunded_without_a_list_when_nicepay_is_asked()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        var first = TestSandbox.NewRefundNo();
        var second = TestSandbox.NewRefundNo();
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, first, "1000.00"));
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, second, "2500.00"));

        var answer = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal("04", answer.Get("latestTransactionStatus"));
        // NICEPAY's query answer lists no refunds (its documents and SDKs model none); RefundHistoryTests covers a
        // provider that does.
        Assert.DoesNotContain(answer.Json.EnumerateObject(), p => p.Value.ValueKind == JsonValueKind.Array);
        Assert.Equal("3500.00", answer.Get("additionalInfo.refundedAmount"));
        Assert.Equal("6500.00", answer.Get("additionalInfo.remainingAmount"));
    }

    [Fact]
    public async Task Should_report_05_when_the_payment_was_cancelled()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m);
        var client = sb.Client("ifortepay");
        await client.PostAsync(SandboxOperation.Cancel, Requests.Cancel(original));

        var answer = await client.PostAsync(SandboxOperation.Query, Requests.IfortepayQuery(original));

        Assert.Equal("2005100", answer.ResponseCode);
        Assert.Equal("05", answer.Get("latestTransactionStatus"));
        Assert.NotNull(answer.Get("additionalInfo.cancelTime"));
    }

    [Theory]
    [InlineData(OriginalStatus.Pending, "03")]
    [InlineData(OriginalStatus.Failed, "06")]
    public async Task Should_report_the_payment_state_when_it_was_not_paid(OriginalStatus status, string expected)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m, status: status);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Query, Requests.IfortepayQuery(original));

        Assert.Equal(expected, answer.Get("latestTransactionStatus"));
    }

    [Fact]
    public async Task Should_find_the_payment_by_one_reference_when_ifortepay_is_asked()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("ifortepay", 10_000m);

        var answer = await sb.Client("ifortepay").PostAsync(SandboxOperation.Query, Requests.IfortepayQuery(original).Without("originalReferenceNo"));

        Assert.Equal(original.OriginalReferenceNo, answer.Get("originalReferenceNo"));
    }

    [Fact]
    public async Task Should_answer_4045101_when_the_payment_is_unknown()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original).With("originalReferenceNo", "NCPY00000000000000"));

        Assert.Equal("4045101", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4005101_when_the_service_code_is_not_47()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original).With("serviceCode", "78"));

        Assert.Equal("4005101", answer.ResponseCode);
    }

    [Theory]
    [InlineData("merchantId")]
    [InlineData("serviceCode")]
    [InlineData("originalPartnerReferenceNo")]
    public async Task Should_answer_4005102_when_a_nicepay_query_field_is_missing(string field)
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original).Without(field));

        Assert.Equal("4005102", answer.ResponseCode);
    }

    [Fact]
    public async Task Should_not_serve_a_query_when_the_bank_has_no_query_api()
    {
        await using var sb = await TestSandbox.StartAsync();

        using var response = await sb.Http.PostAsync(new Uri(sb.Handle.ProviderUrl("bnc") + "/v1.0/qr/qr-mpm-query"), new StringContent("{}"));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(sb.Handle.Providers["bnc"].QueryPath);
    }

    [Fact]
    public async Task Should_answer_with_an_amount_object_when_serialised()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 12_345.5m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal(JsonValueKind.Object, answer.Json.GetProperty("amount").ValueKind);
        Assert.Equal("12345.50", answer.Get("amount.value"));
    }
}
