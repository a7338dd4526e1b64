using MassTransit;
using Microsoft.Extensions.Options;
using RefundWorker.Availability;
using RefundWorker.Inbound;
using RefundWorker.Options;

namespace RefundWorker.InboundHosting;

/// <summary>
/// The payment-code queues get the request queues' topology (<see cref="Extensions.MessagingTopology.ConfigureRequestEndpoint"/>)
/// minus its retry policy, which the inbound definitions set themselves: gated by the <see cref="DatabaseGate"/>
/// (<see cref="GatedReceiveEndpoints"/>), quorum queue, the configured delivery limit, dead-lettering into
/// <c>&lt;queue&gt;_error</c>.
/// </summary>
internal sealed class InboundReceiveEndpoints(GatedReceiveEndpoints gated, IOptions<RequestQueueOptions> queues) : IInboundReceiveEndpoints
{
    public void Configure(IReceiveEndpointConfigurator endpoint, string queueName)
    {
        gated.Attach(endpoint);
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            var error = queueName + "_error";
            rabbit.SetQuorumQueue();
            rabbit.SetQueueArgument("x-delivery-limit", queues.Value.DeliveryLimit);
            rabbit.SetQueueArgument("x-dead-letter-exchange", error);
            rabbit.BindDeadLetterQueue(error, error, q => q.SetQuorumQueue());
        }
    }
}
