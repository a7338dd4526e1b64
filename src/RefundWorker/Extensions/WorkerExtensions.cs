using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RefundWorker.Operations;
using RefundWorker.Options;
using RefundWorker.Outbox;
using RefundWorker.Snap;

namespace RefundWorker.Extensions;

public static class WorkerExtensions
{
    /// <summary>SNAP providers from <c>Snap:Providers:*</c> (validated at start: keys load, URLs parse).</summary>
    public static IHostApplicationBuilder AddSnapProviders(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSnapProviders(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// The operation pipeline: accept, executor, outcome writer, scheduler and outbox dispatcher.
    /// Hosted services stop in reverse order of registration: the scheduler first, then the executor (in-flight
    /// calls finish), then the outcome writer (drains), then the outbox dispatcher.
    /// </summary>
    public static IHostApplicationBuilder AddWorker(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>();
        services.AddNodeId(builder.Configuration);
        services.AddOptions<UnroutableOutboxOptions>().BindConfiguration(UnroutableOutboxOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UnroutableOutboxOptions>, UnroutableOutboxOptionsValidator>();
        services.AddOptions<OutboxCleanupOptions>().BindConfiguration(OutboxCleanupOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OutboxCleanupOptions>, OutboxCleanupOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WorkerNode>();
        services.AddSingleton<ProviderConcurrency>();
        services.AddSingleton<FleetPacing>();
        services.AddSingleton<ProviderGateway>();
        services.AddSingleton<AcceptService>();

        // First registered, last stopped: leases are kept until the outcome writer has drained.
        services.AddSingleton<LeaseKeeper>();
        services.AddHostedService(sp => sp.GetRequiredService<LeaseKeeper>());
        services.AddSingleton<AttemptJournal>();
        services.AddHostedService(sp => sp.GetRequiredService<AttemptJournal>());
        services.AddSingleton<RabbitMqOutboxPublisher>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddSingleton<OutboxRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRetention>());
        services.AddSingleton<OutcomeWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<OutcomeWriter>());
        services.AddSingleton<OperationExecutor>();
        services.AddHostedService(sp => sp.GetRequiredService<OperationExecutor>());
        services.AddSingleton<UnknownProviderMonitor>();
        services.AddSingleton<Telemetry.BacklogGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<Telemetry.BacklogGauges>());
        services.AddSingleton<OperationScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<OperationScheduler>());

        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(45);
            o.ServicesStopConcurrently = false;
        });
        return builder;
    }
}

/// <summary>
/// Registered last, so it stops first: the request consumers and the bus stop consuming (together, so their grace
/// periods overlap) before the scheduler, executor and outcome writer drain. Otherwise a batch accepted during
/// shutdown could not be handed to the stopping executor and would wait for its lease to expire. Events still in the
/// outbox then go out at the next start (or from another replica).
/// </summary>
internal sealed class StopConsumingFirst(
    MassTransit.IBusControl bus, Consumers.RefundRequestedConsumer refunds, Consumers.CancelRequestedConsumer cancels, ILogger<StopConsumingFirst> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Stopping consumers; in-flight provider calls get up to Worker:ShutdownTimeout");
        await Task.WhenAll(refunds.StopAsync(cancellationToken), cancels.StopAsync(cancellationToken), bus.StopAsync(cancellationToken));
    }
}
