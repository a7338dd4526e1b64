using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using RefundWorker.Inbound;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// The inbound SNAP endpoints need PostgreSQL only: with RabbitMQ unreachable, <c>/health/ready/inbound</c> stays
/// healthy and inquiries are answered, while <c>/health/ready</c> (the whole worker) reports the bus. The shared
/// RabbitMQ is never stopped: the host is pointed at a loopback port nothing listens on.
/// </summary>
[Collection(InboundCollection.Name)]
public sealed class InboundReadinessTests
{
    [Fact]
    public async Task Should_stay_ready_for_inbound_and_answer_inquiries_when_RabbitMQ_is_unreachable()
    {
        // Arrange
        var host = new InboundHost(
            new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = $"amqp://refundworker:refundworker@127.0.0.1:{ClosedPort()}/" },
            readyPath: "/health/ready/inbound");
        await host.InitializeAsync();
        try
        {
            var code = new CvsPaymentCodeIssuedBuilder(host.Clock).Build();
            // Payment codes normally arrive on RabbitMQ; here the order system's message is stored as its consumer would.
            await using (var scope = host.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<CvsPaymentCodeStore>().UpsertIssuedAsync(code, host.Clock.GetUtcNow(), CancellationToken.None);
            }

            // Act
            using var inbound = await host.Http.GetAsync("/health/ready/inbound");
            using var whole = await host.Http.GetAsync("/health/ready");
            var caller = host.Symmetric;
            var answer = await caller.SendAsync(caller.Inquiry(await caller.TokenAsync(), InquiryBody.For(code.PayNo)));

            // Assert
            Assert.Equal(HttpStatusCode.OK, inbound.StatusCode);
            Assert.Equal("Healthy", await inbound.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, whole.StatusCode);
            Assert.Contains("masstransit-bus: Unhealthy", await whole.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal("2000000", answer.ResponseCode);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>A loopback port with no listener: connections to it are refused at once.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
