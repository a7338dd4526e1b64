using MassTransit;

namespace RefundWorker.Inbound;

/// <summary>
/// The host's topology for a queue that receives requests from the order system (quorum queue, delivery limit,
/// dead-lettering into <c>&lt;queue&gt;_error</c>, paused while PostgreSQL is away). The inbound consumer
/// definitions apply it, then add their own retry policy.
/// </summary>
public interface IInboundReceiveEndpoints
{
    void Configure(IReceiveEndpointConfigurator endpoint, string queueName);
}
