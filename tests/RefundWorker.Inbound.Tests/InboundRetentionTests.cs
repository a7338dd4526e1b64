using Microsoft.Extensions.DependencyInjection;
using RefundWorker.Contracts;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// Inbound:Retention on the host's clock (a FakeTimeProvider the test moves): payment codes go 90 days after they
/// expire, with their closures and their inquiries; a code still within retention keeps its inquiries.
/// </summary>
[Collection(InboundCollection.Name)]
public sealed class InboundRetentionTests
{
    [Fact]
    public async Task Should_delete_codes_closures_and_inquiries_in_batches_once_90_days_past_expiry_and_keep_the_rest()
    {
        // Batches of 2 over 5 expired codes: the job must loop until nothing is left past retention.
        var host = new InboundHost(
            new Dictionary<string, string?> { ["Inbound:Retention:BatchSize"] = "2", ["Inbound:Retention:Interval"] = "01:00:00" },
            "/health/ready");
        await host.InitializeAsync();
        try
        {
            // Arrange: five codes expiring within the hour (one answered, one closed), one valid for 200 days (answered).
            var expiring = Enumerable.Range(0, 5)
                .Select(_ => new CvsPaymentCodeIssuedBuilder(host.Clock).ExpiringAt(host.Clock.GetUtcNow().AddHours(1)).Build())
                .ToList();
            var kept = new CvsPaymentCodeIssuedBuilder(host.Clock).ExpiringAt(host.Clock.GetUtcNow().AddDays(200)).Build();
            foreach (var code in expiring.Append(kept))
            {
                await StoreAsync(host, code);
            }

            await using (var scope = host.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<CvsPaymentCodeStore>()
                    .CloseAsync(new CvsPaymentCodeClosed { PayNo = expiring[1].PayNo, Reason = "paid" }, host.Clock.GetUtcNow(), CancellationToken.None);
            }

            var caller = host.Symmetric;
            var token = await caller.TokenAsync();
            Assert.Equal("2000000", (await caller.SendAsync(caller.Inquiry(token, InquiryBody.For(expiring[0].PayNo)))).ResponseCode);
            Assert.Equal("2000000", (await caller.SendAsync(caller.Inquiry(token, InquiryBody.For(kept.PayNo)))).ResponseCode);

            // Act 1: 89 days after expiry nothing is due yet.
            host.Clock.Advance(TimeSpan.FromDays(89) + TimeSpan.FromHours(2));
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(6, await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM cvs_payment_codes"));
            Assert.Equal(2, await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM cvs_inquiries"));

            // Act 2: past 90 days after expiry the next run deletes.
            host.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(1));
            await InboundHost.WaitUntilAsync(
                async () => await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM cvs_payment_codes") == 1,
                "the expired payment codes to be deleted");

            // Assert
            Assert.Equal(kept.PayNo, await host.DbAsync(db => Task.FromResult(db.Set<Persistence.CvsPaymentCode>().Single().PayNo)));
            await InboundHost.WaitUntilAsync(
                async () => await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM cvs_inquiries") == 1
                    && await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM cvs_payment_code_closures") == 0,
                "the expired code's inquiry and closure to be deleted");
            Assert.Equal(1, await host.CountAsync($"SELECT count(*)::int AS \"Value\" FROM cvs_inquiries WHERE pay_no = {kept.PayNo}"));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static async Task StoreAsync(InboundHost host, CvsPaymentCodeIssued code)
    {
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CvsPaymentCodeStore>().UpsertIssuedAsync(code, host.Clock.GetUtcNow(), CancellationToken.None);
    }
}
