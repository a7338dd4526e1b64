using MassTransit;
using RefundWorker.Contracts;
using static RefundWorker.Inbound.Consumers.ConsumeContextTime;

namespace RefundWorker.Inbound.Consumers;

/// <summary>Marks a payment code paid or withdrawn; later inquiries for it are refused with 404xx19. Held, not
/// faulted, while PostgreSQL is away (<see cref="IInboundDatabaseGate"/>).</summary>
public sealed class CvsPaymentCodeClosedConsumer(CvsPaymentCodeStore store, IInboundDatabaseGate gate, TimeProvider time) : IConsumer<CvsPaymentCodeClosed>
{
    public Task Consume(ConsumeContext<CvsPaymentCodeClosed> context)
        => gate.RunAsync("A payment code closure", ct => store.CloseAsync(context.Message, SentAt(context, time), ct), context.CancellationToken);
}
