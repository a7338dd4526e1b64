using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace RefundWorker.Inbound.Consumers;

/// <summary>Endpoint <c>cvs-payment-code-issued</c>: quorum queue like the host's request endpoints.</summary>
public sealed class CvsPaymentCodeIssuedConsumerDefinition : ConsumerDefinition<CvsPaymentCodeIssuedConsumer>
{
    public const string QueueName = "cvs-payment-code-issued";

    public CvsPaymentCodeIssuedConsumerDefinition() => EndpointName = QueueName;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CvsPaymentCodeIssuedConsumer> consumerConfigurator, IRegistrationContext context)
        => InboundTopology.ConfigureEndpoint(endpointConfigurator, QueueName, context);
}

/// <summary>Endpoint <c>cvs-payment-code-closed</c>: quorum queue like the host's request endpoints.</summary>
public sealed class CvsPaymentCodeClosedConsumerDefinition : ConsumerDefinition<CvsPaymentCodeClosedConsumer>
{
    public const string QueueName = "cvs-payment-code-closed";

    public CvsPaymentCodeClosedConsumerDefinition() => EndpointName = QueueName;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CvsPaymentCodeClosedConsumer> consumerConfigurator, IRegistrationContext context)
        => InboundTopology.ConfigureEndpoint(endpointConfigurator, QueueName, context);
}

internal static class InboundTopology
{
    /// <summary>
    /// The host's request-endpoint topology (<see cref="IInboundReceiveEndpoints"/>: quorum queue, delivery limit,
    /// dead-lettering into <c>&lt;queue&gt;_error</c>, paused while PostgreSQL is away or not migrated), with one
    /// difference in the retry policy: an <see cref="InvalidCvsPaymentCodeException"/> is bad input from the order
    /// system, so it goes to the error queue at once instead of through eight retries.
    /// </summary>
    public static void ConfigureEndpoint(IReceiveEndpointConfigurator endpoint, string queueName, IServiceProvider services)
    {
        services.GetRequiredService<IInboundReceiveEndpoints>().Configure(endpoint, queueName);
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<InvalidCvsPaymentCodeException>();
            r.Ignore<System.Runtime.Serialization.SerializationException>();
            r.Ignore<System.Text.Json.JsonException>();
            // PostgreSQL away is handled by the database gate (the consumer holds the message, nothing faults); what
            // reaches this policy is retried in memory, then goes to the error queue.
            r.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        });
    }
}
