using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace RefundWorker.Demo;

/// <summary>A MassTransit bus that publishes the requests and subscribes to the outcome events.</summary>
public static class Bus
{
    public static async Task<(IBusControl Bus, Microsoft.Extensions.DependencyInjection.ServiceProvider Services)> StartAsync(DemoSettings settings, OutcomeCollector collector, string queueName, CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddSingleton(collector);
        services.AddMassTransit(x =>
        {
            x.AddConsumer<OutcomeConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(settings.RabbitMqUri));
                cfg.ReceiveEndpoint(queueName, e =>
                {
                    // The demo's own subscription: temporary, gone when the demo ends.
                    e.AutoDelete = true;
                    e.Durable = false;
                    e.PrefetchCount = 500;
                    e.ConfigureConsumer<OutcomeConsumer>(context);
                });
            });
        });

        var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync(ct);
        return (bus, provider);
    }
}
