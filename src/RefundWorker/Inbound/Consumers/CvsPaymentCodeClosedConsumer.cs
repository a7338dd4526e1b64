using MassTransit;
using RefundWorker.Contracts;
using static RefundWorker.Inbound.Consumers.ConsumeContextTime;

namespace RefundWorker.Inbound.Consumers;

/// <summary>Marks a payment code paid or withdrawn; later inquiries for it are refused with 404xx19.</summary>
public sealed class CvsPaymentCodeClosedConsumer(CvsPaymentCodeStore store, TimeProvider time) : IConsumer<CvsPaymentCodeClosed>
{
    public Task Consume(ConsumeContext<CvsPaymentCodeClosed> context)
        => store.CloseAsync(context.Message, SentAt(context, time), context.CancellationToken);
}
