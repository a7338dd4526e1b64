using System.Net;

namespace RefundWorker.Inbound.Tests;

/// <summary>Behaviour over time: this class moves its host's clock, so it has a host of its own.</summary>
[Collection(InboundCollection.Name)]
public sealed class InboundClockTests(InboundHost host) : IClassFixture<InboundHost>
{
    [Fact]
    public async Task Should_refuse_with_4012401_when_the_token_has_expired_and_accept_a_fresh_one()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).ExpiringAt(host.Clock.GetUtcNow().AddDays(30)).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var token = await caller.TokenAsync();
        host.Clock.Advance(TimeSpan.FromSeconds(899));
        Assert.Equal("2000000", (await caller.SendAsync(caller.Inquiry(token, InquiryBody.For(code.PayNo)))).ResponseCode);

        host.Clock.Advance(TimeSpan.FromSeconds(2));
        var expired = await caller.SendAsync(caller.Inquiry(token, InquiryBody.For(code.PayNo)));
        var fresh = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)));

        Assert.Equal(HttpStatusCode.Unauthorized, expired.Status);
        Assert.Equal("4012401", expired.ResponseCode);
        Assert.Equal("2000000", fresh.ResponseCode);
    }

    [Fact]
    public async Task Should_accept_an_X_EXTERNAL_ID_again_on_the_next_Jakarta_day()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).ExpiringAt(host.Clock.GetUtcNow().AddDays(30)).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var first = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo));
        Assert.Equal("2000000", (await caller.SendAsync(first)).ResponseCode);
        var sameDay = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo));
        sameDay.ExternalId = first.ExternalId;
        Assert.Equal("4092400", (await caller.SendAsync(sameDay)).ResponseCode);

        host.Clock.Advance(TimeSpan.FromDays(1));
        var nextDay = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo));
        nextDay.ExternalId = first.ExternalId;
        var result = await caller.SendAsync(nextDay);

        Assert.Equal("2000000", result.ResponseCode);
    }

    [Fact]
    public async Task Should_answer_4042419_once_the_code_expires_on_our_clock()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).ExpiringAt(host.Clock.GetUtcNow().AddMinutes(10)).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        Assert.Equal("2000000", (await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)))).ResponseCode);

        host.Clock.Advance(TimeSpan.FromMinutes(10));
        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)));

        Assert.Equal("4042419", result.ResponseCode);
    }

    [Fact]
    public async Task Should_forget_external_ids_older_than_yesterday_when_a_token_is_issued()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).ExpiringAt(host.Clock.GetUtcNow().AddDays(30)).Build();
        await host.IssueAsync(code);
        var caller = host.Symmetric;
        var call = caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo));
        Assert.Equal("2000000", (await caller.SendAsync(call)).ResponseCode);

        host.Clock.Advance(TimeSpan.FromDays(1));
        await caller.TokenAsync();
        var keptYesterday = await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM inbound_external_ids WHERE external_id = {call.ExternalId}");
        host.Clock.Advance(TimeSpan.FromDays(1));
        await caller.TokenAsync();
        var keptTwoDaysLater = await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM inbound_external_ids WHERE external_id = {call.ExternalId}");

        Assert.Equal(1, keptYesterday);
        Assert.Equal(0, keptTwoDaysLater);
    }
}
