using System.Net;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// Inbound:RateLimits: a flood from callers who name no partner, or from one partner, is answered 429 with SNAP's
/// too-many-requests code for the endpoint (4297300 token, 4292400 inquiry), and one budget running out does not
/// spend another's.
/// </summary>
[Collection(InboundCollection.Name)]
public sealed class InboundRateLimitTests
{
    private static readonly Dictionary<string, string?> SmallBudgets = new()
    {
        ["Inbound:RateLimits:PartnerPermitsPerSecond"] = "5",
        ["Inbound:RateLimits:UnauthenticatedPermitsPerSecond"] = "3",
    };

    [Fact]
    public async Task Should_answer_4297300_to_a_flood_of_unknown_clients_and_still_serve_the_partner()
    {
        var host = new InboundHost(SmallBudgets, "/health/ready");
        await host.InitializeAsync();
        try
        {
            // Act: 30 token requests at once, none from a configured client.
            var flood = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
            {
                using var response = await host.Symmetric.RequestTokenAsync(clientKey: "FLOOD" + i);
                return await SnapResult.ReadAsync(response);
            }));
            using var partner = await host.Symmetric.RequestTokenAsync();

            // Assert
            var limited = flood.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
            Assert.NotEmpty(limited);
            Assert.All(flood, r => Assert.Contains(r.Status, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
            Assert.All(limited, r => Assert.Equal(("4297300", "Too Many Requests"), (r.ResponseCode, r.ResponseMessage)));
            Assert.Equal(HttpStatusCode.OK, partner.StatusCode);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_answer_4292400_to_inquiries_over_the_partners_budget()
    {
        var host = new InboundHost(SmallBudgets, "/health/ready");
        await host.InitializeAsync();
        try
        {
            var caller = host.Symmetric;
            var token = await caller.TokenAsync();

            // Act: 30 inquiries at once naming the partner (they need not verify: the budget is spent before that).
            var flood = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => caller.SendAsync(caller.Inquiry(token, InquiryBody.For(Ids.PayNo())))));

            // Assert
            var limited = flood.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
            Assert.NotEmpty(limited);
            Assert.All(limited, r => Assert.Equal(("4292400", "Too Many Requests"), (r.ResponseCode, r.ResponseMessage)));
            Assert.InRange(flood.Length - limited.Count, 1, 15);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
