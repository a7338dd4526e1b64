using MassTransit;
using Microsoft.Extensions.Options;
using RefundWorker.Extensions;
using RefundWorker.Options;

namespace RefundWorker.Consumers;

/// <summary>
/// The endpoint settings every request queue shares: quorum queue with a delivery limit and dead-lettering, paused
/// while PostgreSQL is away (<see cref="MessagingTopology"/>), batch size and prefetch from <c>Worker:*</c>.
/// </summary>
public abstract class AcceptBatchConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly WorkerOptions _options;
    private readonly string _queueName;

    protected AcceptBatchConsumerDefinition(IOptions<WorkerOptions> options, string queueName)
    {
        _options = options.Value;
        _queueName = queueName;
        EndpointName = queueName;
        // The whole prefetch window is batches being filled or accepted.
        Endpoint(e => e.PrefetchCount = _options.AcceptBatchSize * (_options.AcceptConcurrency + 1));
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        MessagingTopology.ConfigureRequestEndpoint(endpointConfigurator, _queueName, context);
        consumerConfigurator.Options<BatchOptions>(b => b
            .SetMessageLimit(_options.AcceptBatchSize)
            .SetTimeLimit(_options.AcceptBatchTimeLimit)
            .SetConcurrencyLimit(_options.AcceptConcurrency));
    }
}
