using MassTransit;
using RefundWorker.Inbound;

namespace RefundWorker.InboundHosting;

/// <summary>
/// Wires RefundWorker.Inbound into the host: its services on the host's DbContext over a connection pool of their own
/// (<see cref="InboundConnections"/>), and the host's outbox, database gate and queue topology behind the interfaces
/// the inbound code asks for.
/// </summary>
public static class InboundHostingExtensions
{
    public static IHostApplicationBuilder AddInbound(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InboundConnections>();
        builder.AddInboundSnap(sp => sp.GetRequiredService<InboundConnections>().Open());
        builder.Services.AddScoped<IInboundOutbox, InboundOutbox>();
        builder.Services.AddSingleton<IInboundDatabaseGate, InboundDatabaseGate>();
        builder.Services.AddSingleton<IInboundReceiveEndpoints, InboundReceiveEndpoints>();
        return builder;
    }
}
