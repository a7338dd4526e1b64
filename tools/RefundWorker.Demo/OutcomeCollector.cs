using System.Collections.Concurrent;
using MassTransit;
using RefundWorker.Contracts;

namespace RefundWorker.Demo;

/// <summary>One outcome event as the order system sees it.</summary>
public sealed record Outcome(Guid RequestId, string Kind, string Provider, string Key, int Attempts, string? ResponseCode, string Detail, decimal? Amount);

/// <summary>
/// Collects outcome events by RequestId. Delivery is at-least-once, so a second event for one RequestId is
/// counted as a redelivery; a *different* outcome kind for the same RequestId would be a broken guarantee.
/// </summary>
public sealed class OutcomeCollector
{
    private readonly ConcurrentDictionary<Guid, Outcome> _outcomes = new();
    private int _deliveries;
    private int _contradictions;

    public int Count => _outcomes.Count;
    public int Deliveries => Volatile.Read(ref _deliveries);
    public int Contradictions => Volatile.Read(ref _contradictions);
    public IReadOnlyDictionary<Guid, Outcome> Outcomes => _outcomes;
    public DateTimeOffset LastArrival { get; private set; }

    public void Record(Outcome outcome)
    {
        Interlocked.Increment(ref _deliveries);
        var stored = _outcomes.GetOrAdd(outcome.RequestId, outcome);
        if (!ReferenceEquals(stored, outcome) && stored.Kind != outcome.Kind)
        {
            Interlocked.Increment(ref _contradictions);
        }

        LastArrival = DateTimeOffset.UtcNow;
    }
}

/// <summary>Subscribes to the eight outcome events of the public contract.</summary>
public sealed class OutcomeConsumer(OutcomeCollector collector) :
    IConsumer<RefundSucceeded>, IConsumer<RefundFailed>, IConsumer<RefundRejected>, IConsumer<RefundNeedsReview>,
    IConsumer<CancelSucceeded>, IConsumer<CancelFailed>, IConsumer<CancelRejected>, IConsumer<CancelNeedsReview>
{
    public Task Consume(ConsumeContext<RefundSucceeded> context) => Add(context.Message.RequestId, "RefundSucceeded", context.Message.Provider, context.Message.PartnerRefundNo, context.Message.Attempts, context.Message.ResponseCode, $"referenceNo {context.Message.ReferenceNo}", context.Message.Amount);
    public Task Consume(ConsumeContext<RefundFailed> context) => Add(context.Message.RequestId, "RefundFailed", context.Message.Provider, context.Message.PartnerRefundNo, context.Message.Attempts, context.Message.ResponseCode, $"{context.Message.ErrorCode}: {context.Message.Message}", null);
    public Task Consume(ConsumeContext<RefundRejected> context) => Add(context.Message.RequestId, "RefundRejected", context.Message.Provider, context.Message.PartnerRefundNo, context.Message.Attempts, null, string.Join("; ", context.Message.Errors.Select(e => $"{e.Field} ({e.Rule})")), null);
    public Task Consume(ConsumeContext<RefundNeedsReview> context) => Add(context.Message.RequestId, "RefundNeedsReview", context.Message.Provider, context.Message.PartnerRefundNo, context.Message.Attempts, context.Message.ResponseCode, context.Message.Message, null);
    public Task Consume(ConsumeContext<CancelSucceeded> context) => Add(context.Message.RequestId, "CancelSucceeded", context.Message.Provider, context.Message.OriginalPartnerReferenceNo, context.Message.Attempts, context.Message.ResponseCode, $"cancelTime {context.Message.CancelTime:O}", null);
    public Task Consume(ConsumeContext<CancelFailed> context) => Add(context.Message.RequestId, "CancelFailed", context.Message.Provider, context.Message.OriginalPartnerReferenceNo, context.Message.Attempts, context.Message.ResponseCode, $"{context.Message.ErrorCode}: {context.Message.Message}", null);
    public Task Consume(ConsumeContext<CancelRejected> context) => Add(context.Message.RequestId, "CancelRejected", context.Message.Provider, context.Message.OriginalPartnerReferenceNo, context.Message.Attempts, null, string.Join("; ", context.Message.Errors.Select(e => $"{e.Field} ({e.Rule})")), null);
    public Task Consume(ConsumeContext<CancelNeedsReview> context) => Add(context.Message.RequestId, "CancelNeedsReview", context.Message.Provider, context.Message.OriginalPartnerReferenceNo, context.Message.Attempts, context.Message.ResponseCode, context.Message.Message, null);

    private Task Add(Guid id, string kind, string provider, string key, int attempts, string? code, string detail, decimal? amount)
    {
        collector.Record(new Outcome(id, kind, provider, key, attempts, code, detail, amount));
        return Task.CompletedTask;
    }
}
