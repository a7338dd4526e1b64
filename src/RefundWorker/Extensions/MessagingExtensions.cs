using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RefundWorker.Availability;
using RefundWorker.Consumers;
using RefundWorker.Options;

namespace RefundWorker.Extensions;

public static class MessagingExtensions
{
    /// <summary>
    /// MassTransit on RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an amqp URI) with publisher confirms. Consumers are
    /// registered in one explicit list below. <paramref name="configure"/> lets a feature add its consumers.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configure = null)
    {
        builder.Services.AddOptions<RequestQueueOptions>().BindConfiguration(RequestQueueOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RequestQueueOptions>, RequestQueueOptionsValidator>();
        // RabbitMQ readiness is "request-queues" (each request consumer consuming or paused by the gate) and
        // MassTransit's own bus check (tagged "ready" by default): its receive endpoints are connected.
        // AspNetCore.HealthChecks.Rabbitmq is not used: it opens a channel on an IConnection of its own,
        // which answering says nothing about the endpoints, and pointed at the outbox's link it would report failures
        // that the link repairs by itself on its next publish.
        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            // MassTransit reports usage telemetry to a third-party host by default. A refund worker in a payments
            // network connects only to its providers, broker, database and telemetry endpoint: off, in code, so no
            // deployer has to know an environment variable for it.
            x.DisableUsageTelemetry();

            // The request queues are not MassTransit endpoints: RequestQueueConsumer reads them (see there why).
            configure?.Invoke(x);

            x.UsingRabbitMq((context, cfg) =>
            {
                var cs = context.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.RabbitMq!;
                if (!RabbitMqUri.TryParse(cs, out var uri))
                {
                    throw new OptionsValidationException(ConnectionStringsOptions.SectionName, typeof(ConnectionStringsOptions),
                        ["ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI with a host."]);
                }

                cfg.Host(uri.Host, (ushort)uri.Port, uri.VirtualHost, h =>
                {
                    h.Username(uri.Username);
                    h.Password(uri.Password);
                    // Every publish is awaited until the broker confirms it: the outbox marks a row sent only then.
                    h.PublisherConfirmation = true;
                    if (uri.UseSsl)
                    {
                        h.UseSsl(s => s.ServerName = uri.Host);
                    }
                });
                // MassTransit declares <queue>_error with the receive queue's arguments. Drop the delivery limit and the
                // dead-letter exchange there (an error queue must not dead-letter into itself); keep it a quorum queue.
                // MessagingTopology declares the same queue at start, so the broker's dead-lettering has a target
                // before the first fault.
                cfg.SendTopology.ConfigureErrorSettings = e =>
                {
                    e.SetQueueArgument("x-delivery-limit", null);
                    e.SetQueueArgument("x-dead-letter-exchange", null);
                };
                // A message nobody consumes (an unknown type) is "dead-lettered" by MassTransit to <queue>_skipped by
                // default; it goes to <queue>_error instead, with MT-Reason "dead-letter", so all bad input is in one place.
                cfg.SendTopology.DeadLetterQueueNameFormatter = new ErrorQueueAsDeadLetterQueue();
                cfg.SendTopology.ConfigureDeadLetterSettings = e =>
                {
                    e.SetQueueArgument("x-delivery-limit", null);
                    e.SetQueueArgument("x-dead-letter-exchange", null);
                };
                cfg.ConfigureEndpoints(context);
            });
        });

        builder.Services.AddSingleton<RequestQueueServices>();
        builder.Services.TryAddSingleton<RequestQueueStates>();
        builder.Services.AddHealthChecks().AddCheck<RequestQueuesHealthCheck>("request-queues", tags: [ServiceDefaultsExtensions.ReadyTag]);
        // Singletons as well as hosted services: StopConsumingFirst stops them before the worker's services.
        builder.Services.AddSingleton<RefundRequestedConsumer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RefundRequestedConsumer>());
        builder.Services.AddSingleton<CancelRequestedConsumer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CancelRequestedConsumer>());

        builder.Services.AddOptions<MassTransitHostOptions>().Configure<IOptions<WorkerOptions>, IOptions<DatabaseGateOptions>>((o, worker, gate) =>
        {
            // Start without blocking host start on the broker; readiness reports the bus until it is connected.
            o.WaitUntilStarted = false;
            // Graceful stop: consumers finish the batch they hold; the rest stays in the queue unacked.
            o.StopTimeout = worker.Value.ShutdownTimeout;
            // How long a stopping endpoint waits for consumers still holding messages before it cancels them (they are
            // then returned to the queue, not faulted). The DatabaseGate stops endpoints through the same path.
            o.ConsumerStopTimeout = gate.Value.StopGracePeriod < worker.Value.ShutdownTimeout ? gate.Value.StopGracePeriod : worker.Value.ShutdownTimeout;
        });
        return builder;
    }
}

/// <summary>The request queues' delivery limit (README, "Bad input"); the topology is <see cref="RequestQueueTopology"/>.</summary>
public static class MessagingTopology
{
    /// <summary>
    /// The request queues' <c>x-delivery-limit</c> (default of <c>Worker:RequestQueues:DeliveryLimit</c>): a message
    /// returned to the queue more often than this is dead-lettered into <c>&lt;queue&gt;_error</c>. It is a backstop for
    /// a message that crashes the process (MassTransit already moves a message whose consumer throws to the error
    /// queue after its retries), so it must never be reached by a valid request on a bad day.
    /// </summary>
    /// <remarks>
    /// <para>
    /// RabbitMQ before 4.3 counts every return, whatever its cause: a consumer's channel closing because the broker
    /// (or one cluster node) restarts, a reconnect after a network blip, a replica killed or stopped with requests
    /// prefetched, a PostgreSQL outage (one return per outage, see <see cref="DatabaseGate"/>). Returned messages are
    /// delivered again first, so under a backlog the same prefetch window (up to 300 per replica) takes every hit.
    /// A bad day, counted generously: a broker rolling upgrade (3 nodes: up to 3), a worker deploy and its rollback
    /// (3 replicas each: up to 6), two PostgreSQL failovers (2), a few connection drops and OOM kills (3 or 4): about
    /// 15. The limit is twice that. Checked on RabbitMQ 3.10.8: a limit of L lets a message be delivered L + 1
    /// times; the next return dead-letters it with <c>x-death</c> reason <c>delivery_limit</c> and no MassTransit
    /// fault headers. The price of a higher limit is paid only by a message that kills the process: it crashes a
    /// replica up to 31 times (spread over replicas and crash-loop backoff) before it is set aside.
    /// </para>
    /// <para>
    /// RabbitMQ refuses to redeclare a queue with another <c>x-delivery-limit</c> (PRECONDITION_FAILED, inequivalent
    /// arg), and a policy's <c>delivery-limit</c> only lowers a queue argument. Queues created by a version that
    /// declared 10 keep 10: set <c>Worker:RequestQueues:DeliveryLimit</c> to 10 for them, or recreate the queues.
    /// </para>
    /// </remarks>
    public const int DeliveryLimit = 30;
}

/// <summary>Sends skipped (unconsumable) messages to the endpoint's error queue.</summary>
internal sealed class ErrorQueueAsDeadLetterQueue : IDeadLetterQueueNameFormatter
{
    public string FormatDeadLetterQueueName(string queueName) => queueName + "_error";
}
