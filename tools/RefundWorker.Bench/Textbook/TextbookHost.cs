using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RefundWorker.Snap;

namespace RefundWorker.Bench.Textbook;

/// <summary>
/// Hosts <see cref="TextbookRefundConsumer"/>: the same SNAP provider settings as the worker
/// (<c>Snap:Providers:*</c>), its own database (<c>Bench:TextbookPostgres</c>, recreated at start), and its own queue
/// <see cref="QueueName"/> with ConcurrentMessageLimit 32. The queue is not bound to the RefundRequested exchange: the
/// runner sends to it directly, so the worker and the textbook consumer never receive each other's refunds.
/// </summary>
public static class TextbookHost
{
    public const string QueueName = "bench-textbook-refund-requested";
    public const int ConcurrentMessageLimit = 32;

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var postgres = builder.Configuration["Bench:TextbookPostgres"] ?? throw new InvalidOperationException("Bench:TextbookPostgres is not set");
        var rabbit = builder.Configuration["ConnectionStrings:RabbitMq"] ?? throw new InvalidOperationException("ConnectionStrings:RabbitMq is not set");
        builder.Services.AddDbContext<TextbookDbContext>(o => o.UseNpgsql(postgres));
        builder.Services.AddSnapProviders(builder.Configuration);
        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<TextbookRefundConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(rabbit));
                cfg.ReceiveEndpoint(QueueName, e =>
                {
                    e.ConfigureConsumeTopology = false;
                    e.PrefetchCount = ConcurrentMessageLimit;
                    e.ConcurrentMessageLimit = ConcurrentMessageLimit;
                    e.ConfigureConsumer<TextbookRefundConsumer>(context);
                });
            });
        });

        using var host = builder.Build();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TextbookDbContext>();
            await db.Database.EnsureDeletedAsync();
            await db.Database.EnsureCreatedAsync();
        }

        await host.RunAsync();
        return 0;
    }
}
