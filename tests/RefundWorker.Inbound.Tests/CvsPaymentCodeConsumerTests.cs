using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RefundWorker.Contracts;
using RefundWorker.Inbound;
using RefundWorker.Inbound.Consumers;
using RefundWorker.Inbound.Persistence;

namespace RefundWorker.Inbound.Tests;

/// <summary>The two consumers, fed through RabbitMQ, and the store's idempotency rules on PostgreSQL.</summary>
[Collection(InboundCollection.Name)]
public sealed class CvsPaymentCodeConsumerTests(InboundHost host) : IClassFixture<InboundHost>
{
    [Fact]
    public async Task Should_keep_one_row_when_the_same_issue_is_delivered_twice()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();

        await host.IssueAsync(code);
        await host.IssueAsync(code);

        Assert.Equal(1, await host.DbAsync(db => db.Set<CvsPaymentCode>().CountAsync(c => c.PayNo == code.PayNo)));
    }

    [Fact]
    public async Task Should_take_the_newer_issue_and_ignore_an_older_redelivery()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).WithAmount(10000m).Build();
        var newer = code with { Amount = 20000m };
        var sentAt = host.Clock.GetUtcNow();

        await WithStoreAsync(s => s.UpsertIssuedAsync(code, sentAt, default));
        await WithStoreAsync(s => s.UpsertIssuedAsync(newer, sentAt.AddSeconds(5), default));
        await WithStoreAsync(s => s.UpsertIssuedAsync(code, sentAt.AddSeconds(1), default));

        var stored = await host.DbAsync(db => db.Set<CvsPaymentCode>().AsNoTracking().SingleAsync(c => c.PayNo == code.PayNo));
        Assert.Equal(20000m, stored.Amount);
    }

    [Fact]
    public async Task Should_refuse_inquiries_when_the_close_overtook_the_issue_on_the_bus()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        await host.CloseAsync(new CvsPaymentCodeClosed { PayNo = code.PayNo, Reason = "withdrawn" });
        await host.IssueAsync(code);
        var caller = host.Symmetric;

        var result = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)));

        Assert.Equal("4042419", result.ResponseCode);
        Assert.Equal("Invalid Bill/Virtual Account [Closed: withdrawn]", result.ResponseMessage);
    }

    [Fact]
    public async Task Should_keep_the_first_reason_when_a_code_is_closed_twice()
    {
        var payNo = Ids.PayNo();

        await host.CloseAsync(new CvsPaymentCodeClosed { PayNo = payNo, Reason = "paid" });
        await WithStoreAsync(s => s.CloseAsync(new CvsPaymentCodeClosed { PayNo = payNo, Reason = "withdrawn" }, host.Clock.GetUtcNow(), default));

        var closure = await host.DbAsync(db => db.Set<CvsPaymentCodeClosure>().AsNoTracking().SingleAsync(c => c.PayNo == payNo));
        Assert.Equal("paid", closure.Reason);
    }

    [Theory]
    [InlineData("PayNo", "7015891011109")]
    [InlineData("Prefix", "701589101110")]
    [InlineData("Amount", "0")]
    [InlineData("Currency", "idr")]
    public async Task Should_fault_with_a_clear_reason_when_the_issued_code_breaks_the_seeds_sizes(string broken, string value)
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
        code = broken switch
        {
            "PayNo" => code with { PayNo = value },
            "Prefix" => code with { PartnerServiceId = "7016", PayNo = value },
            "Amount" => code with { Amount = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            _ => code with { Currency = value },
        };

        var error = await Assert.ThrowsAsync<InvalidCvsPaymentCodeException>(() => WithStoreAsync(s => s.UpsertIssuedAsync(code, host.Clock.GetUtcNow(), default)));

        Assert.Contains(broken == "Prefix" ? "PayNo must be PartnerServiceId followed by CustomerNo" : broken, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_move_an_invalid_issue_to_the_error_queue_at_once_instead_of_storing_it()
    {
        var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build() with { Currency = "rupiah" };

        await host.OrderSystem.Bus.Publish(code);

        JsonElement[] dead = [];
        await InboundHost.WaitUntilAsync(
            async () => (dead = await host.VirtualHost.GetMessagesAsync(CvsPaymentCodeIssuedConsumerDefinition.QueueName + "_error", 10)).Length > 0,
            "the invalid issue in the error queue");
        var message = Assert.Single(dead);
        Assert.Contains(code.PayNo, message.GetProperty("payload").GetString(), StringComparison.Ordinal);
        var reason = message.GetProperty("properties").GetProperty("headers").GetProperty("MT-Fault-Message").GetString();
        Assert.Contains("Currency", reason, StringComparison.Ordinal);
        // Not retried: bad input from the order system does not get better by waiting.
        Assert.False(message.GetProperty("properties").GetProperty("headers").TryGetProperty("MT-Fault-RetryCount", out var retries) && retries.GetInt32() > 0);
        Assert.False(await host.DbAsync(db => db.Set<CvsPaymentCode>().AnyAsync(c => c.PayNo == code.PayNo)));
    }

    private async Task WithStoreAsync(Func<CvsPaymentCodeStore, Task> work)
    {
        await using var scope = host.Services.CreateAsyncScope();
        await work(scope.ServiceProvider.GetRequiredService<CvsPaymentCodeStore>());
    }
}
