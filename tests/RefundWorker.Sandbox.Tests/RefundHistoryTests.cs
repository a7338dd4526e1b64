using System.Net;
using System.Text;
using System.Text.Json;
using RefundWorker.Sandbox.Tests.Infrastructure;

namespace RefundWorker.Sandbox.Tests;

/// <summary>
/// The list of refunds in the status answer: off by default (NICEPAY lists none), SNAP's <c>refundHistory</c> when a
/// provider is set to list them, from configuration or at run time.
/// </summary>
public sealed class RefundHistoryTests
{
    private static Task<TestSandbox> StartListingAsync(string? listField = null)
        => TestSandbox.StartAsync(s =>
        {
            var behaviour = s.Providers["nicepay"].Behaviour;
            behaviour.ListRefundsInQuery = true;
            behaviour.RefundListField = listField ?? behaviour.RefundListField;
        });

    [Fact]
    public async Task Should_list_every_refund_as_snap_refundHistory_when_the_provider_lists_refunds()
    {
        await using var sb = await StartListingAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        var first = TestSandbox.NewRefundNo();
        var second = TestSandbox.NewRefundNo();
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, first, "1000.00"));
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, second, "2500.00"));

        var answer = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal("2005100", answer.ResponseCode);
        Assert.Equal("04", answer.Get("latestTransactionStatus"));
        Assert.False(answer.Json.TryGetProperty("refunds", out _));
        var items = answer.Json.GetProperty("refundHistory").EnumerateArray().ToList();
        var booked = sb.Ledger.Find("nicepay", original.OriginalReferenceNo)!.Refunds;
        Assert.Equal([first, second], items.Select(i => i.GetProperty("partnerReferenceNo").GetString()));
        Assert.Equal(booked.Select(r => r.ReferenceNo), items.Select(i => i.GetProperty("refundNo").GetString()));
        Assert.Equal(["1000.00", "2500.00"], items.Select(i => i.GetProperty("refundAmount").GetProperty("value").GetString()));
        Assert.All(items, i => Assert.Equal("IDR", i.GetProperty("refundAmount").GetProperty("currency").GetString()));
        Assert.All(items, i => Assert.Equal("00", i.GetProperty("refundStatus").GetString()));
        Assert.Equal(booked.Select(r => Snap.SnapTimestamp.Format(r.RefundTime)), items.Select(i => i.GetProperty("refundDate").GetString()));
        Assert.Equal(booked.Select(r => r.Reason), items.Select(i => i.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Should_answer_an_empty_refundHistory_when_listing_and_nothing_was_refunded()
    {
        await using var sb = await StartListingAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);

        var answer = await sb.Client("nicepay").PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal("00", answer.Get("latestTransactionStatus"));
        Assert.Equal(0, answer.Json.GetProperty("refundHistory").GetArrayLength());
    }

    [Fact]
    public async Task Should_list_no_refunds_when_a_provider_keeps_its_profile_default()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "1000.00"));

        var answer = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.Equal("04", answer.Get("latestTransactionStatus"));
        Assert.False(answer.Json.TryGetProperty("refundHistory", out _));
        Assert.All(SandboxProfiles.Names, name => Assert.False(sb.Handle.Behaviours.Get(name).ListRefundsInQuery));
    }

    [Fact]
    public async Task Should_use_the_configured_name_when_a_provider_names_its_list_otherwise()
    {
        await using var sb = await StartListingAsync(listField: "refundList");
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        var refundNo = TestSandbox.NewRefundNo();
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, refundNo, "1000.00"));

        var answer = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));

        Assert.False(answer.Json.TryGetProperty("refundHistory", out _));
        Assert.Equal(refundNo, answer.Json.GetProperty("refundList")[0].GetProperty("partnerReferenceNo").GetString());
    }

    [Fact]
    public async Task Should_start_and_stop_listing_at_run_time_when_the_admin_api_sets_the_behaviour()
    {
        await using var sb = await TestSandbox.StartAsync();
        var original = sb.AddOriginal("nicepay", 10_000m);
        var client = sb.Client("nicepay");
        await client.PostAsync(SandboxOperation.Refund, Requests.NicepayRefund(original, TestSandbox.NewRefundNo(), "1000.00"));

        using var put = await SendJsonAsync(sb, HttpMethod.Put, "_sandbox/behaviour/nicepay", """{"listRefundsInQuery":true}""");
        var listing = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original));
        var all = JsonDocument.Parse(await sb.Http.GetStringAsync(new Uri(sb.Handle.BaseUrl, "_sandbox/behaviour"))).RootElement;
        using var reset = await SendJsonAsync(sb, HttpMethod.Post, "_sandbox/reset", "{}");
        var original2 = sb.AddOriginal("nicepay", 10_000m);
        var afterReset = await client.PostAsync(SandboxOperation.Query, Requests.NicepayQuery(original2));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(1, listing.Json.GetProperty("refundHistory").GetArrayLength());
        Assert.True(all.GetProperty("nicepay").GetProperty("listRefundsInQuery").GetBoolean());
        Assert.True(all.GetProperty("nicepay").GetProperty("idempotent").GetBoolean());
        Assert.False(all.GetProperty("ifortepay").GetProperty("listRefundsInQuery").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.False(afterReset.Json.TryGetProperty("refundHistory", out _));
    }

    [Theory]
    [InlineData("nicepay", """{"listRefundsInQuery":true,"refundListField":"amount"}""", HttpStatusCode.BadRequest)]
    [InlineData("nicepay", """{"refundListField":" "}""", HttpStatusCode.BadRequest)]
    [InlineData("nicepay", """{"idempotent":""", HttpStatusCode.BadRequest)]
    [InlineData("paypal", """{"idempotent":false}""", HttpStatusCode.NotFound)]
    public async Task Should_refuse_a_behaviour_that_cannot_be_served_when_it_is_set_at_run_time(string provider, string body, HttpStatusCode expected)
    {
        await using var sb = await TestSandbox.StartAsync();

        using var response = await SendJsonAsync(sb, HttpMethod.Put, $"_sandbox/behaviour/{provider}", body);

        Assert.Equal(expected, response.StatusCode);
        Assert.All(SandboxProfiles.Names, name => Assert.Equal("refundHistory", sb.Handle.Behaviours.Get(name).RefundListField));
    }

    [Fact]
    public async Task Should_refuse_to_start_naming_the_key_when_the_configured_list_name_is_a_field_of_the_answer()
    {
        var ex = await Assert.ThrowsAsync<SandboxConfigurationException>(() => TestSandbox.StartAsync(s => s.Providers["nicepay"].Behaviour.RefundListField = "additionalInfo"));

        Assert.Contains("Sandbox:Providers:nicepay:Behaviour", ex.Message, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> SendJsonAsync(TestSandbox sb, HttpMethod method, string path, string json)
    {
        var request = new HttpRequestMessage(method, new Uri(sb.Handle.BaseUrl, path)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return sb.Http.SendAsync(request);
    }
}
