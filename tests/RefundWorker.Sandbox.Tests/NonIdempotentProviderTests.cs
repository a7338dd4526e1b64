using System.Net;
using System.Text;
using System.Text.Json;
using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>
/// A provider that keeps no idempotency key (<see cref="BehaviourSettings.Idempotent"/> false): a re-sent
/// partnerRefundNo is refunded again, and the ledger shows every booking, so a worker's double send is countable.
/// </summary>
public sealed class NonIdempotentProviderTests
{
    private static Task<TestSandbox> StartAsync() => TestSandbox.StartAsync(s => s.Providers["nicepay"].Behaviour.Idempotent = false);

    [Fact]
    public async Task Should_refund_a_resent_partnerRefundNo_again_as_a_second_ledger_entry_when_the_provider_is_not_idempotent()
    {
        await using var sb = await StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        var refundNo = TestSandbox.NewRefundNo();

        var first = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "3000.00"));
        var again = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "3000.00"));
        var ledger = JsonDocument.Parse(await sb.Http.GetStringAsync(new Uri(sb.Handle.BaseUrl, "_sandbox/ledger?provider=nicepay"))).RootElement;

        Assert.Equal("2007800", first.ResponseCode);
        Assert.Equal("2007800", again.ResponseCode);
        Assert.NotEqual(first.Get("referenceNo"), again.Get("referenceNo"));
        var entry = sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!;
        Assert.Equal(2, entry.Refunds.Count(r => r.PartnerRefundNo == refundNo));
        Assert.Equal(6000m, entry.RefundedAmount);
        Assert.Equal(2, ledger.GetProperty("refundCount").GetInt32());
        var booked = ledger.GetProperty("originals")[0].GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("partnerRefundNo").GetString());
        Assert.Equal([refundNo, refundNo], booked);
    }

    [Fact]
    public async Task Should_still_refuse_more_than_the_remainder_when_the_provider_is_not_idempotent()
    {
        await using var sb = await StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        var refundNo = TestSandbox.NewRefundNo();

        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "6000.00"));
        var again = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "6000.00"));

        Assert.Equal("4047813", again.ResponseCode);
        Assert.Single(sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds);
    }

    [Fact]
    public async Task Should_list_both_bookings_under_our_key_when_a_non_idempotent_provider_also_lists_refunds()
    {
        await using var sb = await TestSandbox.StartAsync(s =>
        {
            s.Providers["nicepay"].Behaviour.Idempotent = false;
            s.Providers["nicepay"].Behaviour.ListRefundsInQuery = true;
        });
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        var refundNo = TestSandbox.NewRefundNo();
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "1000.00"));
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "1000.00"));

        var answer = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal([refundNo, refundNo], answer.Json.GetProperty("refundHistory").EnumerateArray().Select(i => i.GetProperty("partnerReferenceNo").GetString()));
    }

    [Fact]
    public async Task Should_switch_idempotency_off_and_on_at_run_time_when_the_admin_api_sets_the_behaviour()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        var refundNo = TestSandbox.NewRefundNo();
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "1000.00"));

        using var off = await PutAsync(sb, "_sandbox/behaviour/nicepay", """{"idempotent":false}""");
        var booked = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "1000.00"));
        using var on = await PutAsync(sb, "_sandbox/behaviour/nicepay", """{"idempotent":true}""");
        var answeredAgain = await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "1000.00"));

        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        Assert.False(JsonDocument.Parse(await off.Content.ReadAsStringAsync()).RootElement.GetProperty("idempotent").GetBoolean());
        Assert.Equal("2007800", booked.ResponseCode);
        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        // Idempotent again: the first booking is answered (ReturnOriginal), nothing new is booked.
        Assert.Equal("2007800", answeredAgain.ResponseCode);
        Assert.Equal(2, sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds.Count);
        Assert.True(sb.Handle.Behaviours.Get("nicepay").Idempotent);
    }

    [Fact]
    public async Task Should_keep_every_other_provider_idempotent_when_one_is_not()
    {
        await using var sb = await StartAsync();
        var original = sb.AddOriginal("bnc", 10_000m);
        var client = sb.Client("bnc");
        var refundNo = TestSandbox.NewRefundNo();

        await client.PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, refundNo, "1000"));
        var again = await client.PostAsync(SandboxOperation.Refund, Requests.BncRefund(original, refundNo, "1000"));

        Assert.Equal("4097801", again.ResponseCode);
        Assert.Single(sb.Ledger.Find("bnc", original.OriginalReferenceNo)!.Refunds);
    }

    private static Task<HttpResponseMessage> PutAsync(TestSandbox sb, string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri(sb.Handle.BaseUrl, path)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return sb.Http.SendAsync(request);
    }
}
