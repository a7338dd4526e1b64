using System.Collections.Concurrent;
using MassTransit;
using RefundWorker.Contracts;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>One outcome event as a subscriber received it.</summary>
public sealed record ReceivedEvent(Guid? MessageId, Guid RequestId, object Message, DateTimeOffset ReceivedAt);

/// <summary>
/// A subscriber of every outcome event on its own bus and queue (like an order system would be), recording what
/// arrives so tests assert on the events themselves.
/// </summary>
public sealed class OutcomeCollector : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedEvent> _events = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<ReceivedEvent>> _byRequest = new();
    private readonly IBusControl _bus;

    private OutcomeCollector(Uri amqp)
    {
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(amqp);
            cfg.ReceiveEndpoint("test-outcomes", e =>
            {
                e.Handler<RefundSucceeded>(c => Record(c, c.Message.RequestId));
                e.Handler<RefundFailed>(c => Record(c, c.Message.RequestId));
                e.Handler<RefundRejected>(c => Record(c, c.Message.RequestId));
                e.Handler<RefundNeedsReview>(c => Record(c, c.Message.RequestId));
                e.Handler<CancelSucceeded>(c => Record(c, c.Message.RequestId));
                e.Handler<CancelFailed>(c => Record(c, c.Message.RequestId));
                e.Handler<CancelRejected>(c => Record(c, c.Message.RequestId));
                e.Handler<CancelNeedsReview>(c => Record(c, c.Message.RequestId));
            });
        });
    }

    /// <summary>The collector's bus, also used to publish requests as the order system would.</summary>
    public IBus Bus => _bus;

    public IReadOnlyCollection<ReceivedEvent> All => _events;

    public static async Task<OutcomeCollector> StartAsync(Uri amqp)
    {
        var c = new OutcomeCollector(amqp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await c._bus.StartAsync(cts.Token);
        return c;
    }

    public IReadOnlyList<ReceivedEvent> For(Guid requestId) => _byRequest.TryGetValue(requestId, out var q) ? [.. q] : [];

    /// <summary>Waits until <paramref name="count"/> events for the request arrived; returns them.</summary>
    public async Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(Guid requestId, TimeSpan timeout, int count = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = For(requestId);
            if (found.Count >= count)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Expected {count} outcome event(s) for request {requestId} within {timeout}; got {found.Count}.");
            }

            await Task.Delay(left < TimeSpan.FromMilliseconds(20) ? left : TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>Waits for the single outcome of a request and checks its type.</summary>
    public async Task<T> WaitForAsync<T>(Guid requestId, TimeSpan? timeout = null)
        where T : class
    {
        var events = await WaitForAsync(requestId, timeout ?? TimeSpan.FromSeconds(30));
        return Assert.IsType<T>(events[0].Message);
    }

    /// <summary>Waits until every request has at least one event.</summary>
    public async Task WaitForAllAsync(IReadOnlyCollection<Guid> requestIds, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var missing = requestIds.Count(id => !_byRequest.ContainsKey(id));
            if (missing == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{missing} of {requestIds.Count} requests have no outcome event after {timeout}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private Task Record<T>(ConsumeContext<T> context, Guid requestId)
        where T : class
    {
        var e = new ReceivedEvent(context.MessageId, requestId, context.Message, DateTimeOffset.UtcNow);
        _events.Enqueue(e);
        _byRequest.GetOrAdd(requestId, static _ => new ConcurrentQueue<ReceivedEvent>()).Enqueue(e);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _bus.StopAsync();
    }
}
