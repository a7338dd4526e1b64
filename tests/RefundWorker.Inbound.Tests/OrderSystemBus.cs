using System.Collections.Concurrent;
using MassTransit;
using RefundWorker.Contracts;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// The order system on its own bus connection: it publishes payment codes and subscribes to CvsInquiryAnswered,
/// so tests see the events the worker's outbox actually delivered through RabbitMQ.
/// </summary>
public sealed class OrderSystemBus : IAsyncDisposable
{
    private readonly IBusControl bus;
    private readonly ConcurrentQueue<ConsumeContext<CvsInquiryAnswered>> answered = new();

    private OrderSystemBus(Uri amqp)
    {
        bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(amqp);
            cfg.ReceiveEndpoint("test-order-system-cvs-inquiries", e => e.Handler<CvsInquiryAnswered>(c =>
            {
                answered.Enqueue(c);
                return Task.CompletedTask;
            }));
        });
    }

    public IBus Bus => bus;

    public static async Task<OrderSystemBus> StartAsync(Uri amqp)
    {
        var b = new OrderSystemBus(amqp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await b.bus.StartAsync(cts.Token);
        return b;
    }

    /// <summary>Every CvsInquiryAnswered received for <paramref name="inquiryRequestId"/>, with its MessageId.</summary>
    public IReadOnlyList<(Guid? MessageId, CvsInquiryAnswered Message)> Answered(string inquiryRequestId)
        => [.. answered.Where(c => c.Message.InquiryRequestId == inquiryRequestId).Select(c => (c.MessageId, c.Message))];

    /// <summary>Waits until at least one CvsInquiryAnswered for <paramref name="inquiryRequestId"/> arrived.</summary>
    public async Task<CvsInquiryAnswered> WaitForAnsweredAsync(string inquiryRequestId, int seconds = 30)
    {
        await InboundHost.WaitUntilAsync(() => Task.FromResult(Answered(inquiryRequestId).Count > 0), $"CvsInquiryAnswered {inquiryRequestId}", seconds);
        return Answered(inquiryRequestId)[0].Message;
    }

    public async ValueTask DisposeAsync() => await bus.StopAsync();
}
