using MassTransit;
using RefundWorker.Contracts;
using static RefundWorker.Inbound.Consumers.ConsumeContextTime;

namespace RefundWorker.Inbound.Consumers;

/// <summary>Stores an issued payment code so inquiries can be answered from PostgreSQL (idempotent upsert).</summary>
public sealed class CvsPaymentCodeIssuedConsumer(CvsPaymentCodeStore store, TimeProvider time) : IConsumer<CvsPaymentCodeIssued>
{
    public Task Consume(ConsumeContext<CvsPaymentCodeIssued> context)
        => store.UpsertIssuedAsync(context.Message, SentAt(context, time), context.CancellationToken);
}
