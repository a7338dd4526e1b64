using MassTransit;
using RefundWorker.Contracts;
using static RefundWorker.Inbound.Consumers.ConsumeContextTime;

namespace RefundWorker.Inbound.Consumers;

/// <summary>Stores an issued payment code so inquiries can be answered from PostgreSQL (idempotent upsert); held,
/// not faulted, while PostgreSQL is away (<see cref="IInboundDatabaseGate"/>).</summary>
public sealed class CvsPaymentCodeIssuedConsumer(CvsPaymentCodeStore store, IInboundDatabaseGate gate, TimeProvider time) : IConsumer<CvsPaymentCodeIssued>
{
    public Task Consume(ConsumeContext<CvsPaymentCodeIssued> context)
        => gate.RunAsync("An issued payment code", ct => store.UpsertIssuedAsync(context.Message, SentAt(context, time), ct), context.CancellationToken);
}
