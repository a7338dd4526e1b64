using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RefundWorker.Contracts;

namespace RefundWorker.Bench;

/// <summary>When each refund's first outcome event arrived (Stopwatch timestamp), and of which kind.</summary>
public sealed class OutcomeArrivals
{
    private readonly ConcurrentDictionary<Guid, (long At, string Kind)> _arrivals = new();
    public int Count => _arrivals.Count;
    public IReadOnlyDictionary<Guid, (long At, string Kind)> All => _arrivals;
    public void Record(Guid id, string kind) => _arrivals.TryAdd(id, (Stopwatch.GetTimestamp(), kind));
}

/// <summary>Subscribes to the refund outcome events on a temporary queue of the runner's own.</summary>
public sealed class OutcomeListener(OutcomeArrivals arrivals) :
    IConsumer<RefundSucceeded>, IConsumer<RefundFailed>, IConsumer<RefundRejected>, IConsumer<RefundNeedsReview>
{
    public Task Consume(ConsumeContext<RefundSucceeded> context) => Add(context.Message.RequestId, "Succeeded");
    public Task Consume(ConsumeContext<RefundFailed> context) => Add(context.Message.RequestId, "Failed");
    public Task Consume(ConsumeContext<RefundRejected> context) => Add(context.Message.RequestId, "Rejected");
    public Task Consume(ConsumeContext<RefundNeedsReview> context) => Add(context.Message.RequestId, "NeedsReview");

    private Task Add(Guid id, string kind)
    {
        arrivals.Record(id, kind);
        return Task.CompletedTask;
    }

    public static async Task<(IBusControl Bus, ServiceProvider Services)> StartAsync(string rabbitMqUri, OutcomeArrivals arrivals, CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddSingleton(arrivals);
        services.AddMassTransit(x =>
        {
            x.AddConsumer<OutcomeListener>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(rabbitMqUri));
                cfg.ReceiveEndpoint($"bench-outcomes-{Environment.ProcessId}", e =>
                {
                    e.AutoDelete = true;
                    e.Durable = false;
                    e.PrefetchCount = 1_000;
                    e.ConfigureConsumer<OutcomeListener>(context);
                });
            });
        });
        var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync(ct);
        return (bus, provider);
    }
}
