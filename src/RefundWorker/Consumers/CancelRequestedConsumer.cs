using MassTransit;
using Microsoft.Extensions.Options;
using RefundWorker.Contracts;
using RefundWorker.Extensions;
using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Consumers;

/// <summary>Accepts <see cref="CancelRequested"/> messages in batches, like <see cref="RefundRequestedConsumer"/>.</summary>
public sealed class CancelRequestedConsumer(AcceptService accept, TimeProvider time) : IConsumer<Batch<CancelRequested>>
{
    public async Task Consume(ConsumeContext<Batch<CancelRequested>> context)
    {
        var now = time.GetUtcNow();
        var ops = new List<Persistence.Operation>(context.Message.Length);
        foreach (var m in context.Message)
        {
            ops.Add(OperationFactory.FromMessage(m.Message, now));
        }

        await accept.AcceptAsync(ops, context.CancellationToken);
    }
}

/// <summary>Endpoint <c>cancel-requested</c>.</summary>
public sealed class CancelRequestedConsumerDefinition : ConsumerDefinition<CancelRequestedConsumer>
{
    public const string QueueName = "cancel-requested";

    private readonly WorkerOptions _options;

    public CancelRequestedConsumerDefinition(IOptions<WorkerOptions> options)
    {
        _options = options.Value;
        EndpointName = QueueName;
        Endpoint(e => e.PrefetchCount = _options.AcceptBatchSize * (_options.AcceptConcurrency + 1));
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CancelRequestedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        MessagingTopology.ConfigureRequestEndpoint(endpointConfigurator, QueueName);
        consumerConfigurator.Options<BatchOptions>(b => b
            .SetMessageLimit(_options.AcceptBatchSize)
            .SetTimeLimit(_options.AcceptBatchTimeLimit)
            .SetConcurrencyLimit(_options.AcceptConcurrency));
    }
}
