using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Inbound.Consumers;
using RefundWorker.Inbound.Persistence;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// One bad payment-code message beside good ones: the good ones are stored, the bad one reaches the error queue
/// alone, at once (not after minutes of retries), with a reason that names what is wrong.
/// </summary>
[Collection(InboundCollection.Name)]
public sealed class CvsPaymentCodeIsolationTests(InboundHost host) : IClassFixture<InboundHost>
{
    private const string IssuedErrorQueue = CvsPaymentCodeIssuedConsumerDefinition.QueueName + "_error";

    [Fact]
    public async Task Should_store_the_good_codes_and_fault_only_the_bad_one_at_once_when_one_issue_carries_a_NUL()
    {
        await host.VirtualHost.GetMessagesAsync(IssuedErrorQueue, 100);
        var good = Enumerable.Range(0, 10).Select(_ => new CvsPaymentCodeIssuedBuilder(host.Clock).Build()).ToList();
        var bad = new CvsPaymentCodeIssuedBuilder(host.Clock).Build() with { PayNoName = "John\0Test" };

        await Task.WhenAll(good.Take(5).Append(bad).Concat(good.Skip(5)).Select(m => host.OrderSystem.Bus.Publish(m)));

        var payNos = good.Select(g => g.PayNo).ToList();
        await InboundHost.WaitUntilAsync(
            async () => await host.DbAsync(db => db.Set<CvsPaymentCode>().CountAsync(c => payNos.Contains(c.PayNo))) == good.Count, "the good codes to be stored");
        var dead = await WaitForErrorQueueAsync(IssuedErrorQueue);
        var message = Assert.Single(dead);
        Assert.Contains(bad.PayNo, message.GetProperty("payload").GetString(), StringComparison.Ordinal);
        var headers = message.GetProperty("properties").GetProperty("headers");
        var reason = headers.GetProperty("MT-Fault-Message").GetString();
        Assert.Contains("PayNoName", reason, StringComparison.Ordinal);
        Assert.Contains("control characters", reason, StringComparison.Ordinal);
        Assert.False(headers.TryGetProperty("MT-Fault-RetryCount", out var retries) && retries.GetInt32() > 0, $"retried: {headers}");
        Assert.False(await host.DbAsync(db => db.Set<CvsPaymentCode>().AnyAsync(c => c.PayNo == bad.PayNo)));
    }

    [Fact]
    public async Task Should_fault_at_once_with_PostgreSQLs_reason_when_the_database_refuses_an_issue_the_validation_accepted()
    {
        const string constraint = "cvs_test_forbidden_goods";
        await ExecuteAsync($"ALTER TABLE cvs_payment_codes ADD CONSTRAINT {constraint} CHECK (strpos(goods_name, 'FORBIDDEN') = 0) NOT VALID");
        try
        {
            await host.VirtualHost.GetMessagesAsync(IssuedErrorQueue, 100);
            var good = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
            var bad = new CvsPaymentCodeIssuedBuilder(host.Clock).Build() with { GoodsName = "FORBIDDEN goods" };

            await host.OrderSystem.Bus.Publish(bad);
            await host.IssueAsync(good);

            var message = Assert.Single(await WaitForErrorQueueAsync(IssuedErrorQueue));
            Assert.Contains(bad.PayNo, message.GetProperty("payload").GetString(), StringComparison.Ordinal);
            var headers = message.GetProperty("properties").GetProperty("headers");
            var reason = headers.GetProperty("MT-Fault-Message").GetString();
            Assert.Contains(constraint, reason, StringComparison.Ordinal);
            Assert.Contains("23514", reason, StringComparison.Ordinal);
            Assert.False(headers.TryGetProperty("MT-Fault-RetryCount", out var retries) && retries.GetInt32() > 0, $"retried: {headers}");
        }
        finally
        {
            await ExecuteAsync($"ALTER TABLE cvs_payment_codes DROP CONSTRAINT IF EXISTS {constraint}");
        }
    }

    [Fact]
    public async Task Should_store_the_closure_with_control_characters_of_its_reason_replaced()
    {
        var payNo = Ids.PayNo();

        await host.CloseAsync(new CvsPaymentCodeClosed { PayNo = payNo, Reason = "paid\0at store" });

        var closure = await host.DbAsync(db => db.Set<CvsPaymentCodeClosure>().AsNoTracking().SingleAsync(c => c.PayNo == payNo));
        Assert.Equal("paid at store", closure.Reason);
    }

    private async Task<JsonElement[]> WaitForErrorQueueAsync(string queue)
    {
        JsonElement[] dead = [];
        await InboundHost.WaitUntilAsync(async () => (dead = await host.VirtualHost.GetMessagesAsync(queue, 10)).Length > 0, $"a message in {queue}");
        await Task.Delay(500);
        return [.. dead, .. await host.VirtualHost.GetMessagesAsync(queue, 10)];
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var cmd = host.Database.DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }
}
