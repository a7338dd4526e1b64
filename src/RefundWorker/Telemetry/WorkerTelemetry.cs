using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RefundWorker.Telemetry;

/// <summary>
/// The worker's one ActivitySource and one Meter. Every span and instrument the worker emits is named here.
/// </summary>
/// <remarks>
/// Spans: <c>&lt;queue&gt; process</c> (one request message, kind Consumer, child of its sender's span),
/// <c>refund.accept</c> (one accept batch), <c>operation.step</c> (one executor step of one operation, see
/// <see cref="OperationTrace"/>), <c>operation.execute</c> (one provider attempt or query,
/// tags <c>provider</c>, <c>operation.kind</c>, <c>operation.action</c>, <c>snap.outcome</c>),
/// <c>outcome.commit</c> (one group commit), <c>scheduler.claim</c>, <c>outbox.dispatch</c>.
/// Metrics: <c>refundworker.requests.accepted</c>, <c>refundworker.requests.rejected</c>,
/// <c>refundworker.requests.duplicate</c>, <c>refundworker.requests.faulted</c> (tags queue, reason), <c>refundworker.attempts</c> (tags provider, outcome),
/// <c>refundworker.attempt.duration</c> (ms), <c>refundworker.outcomes</c> (tags kind, state),
/// <c>refundworker.outbox.published</c>, <c>refundworker.outbox.unroutable</c> (tag type),
/// <c>refundworker.accept.batch.size</c>, <c>refundworker.outcome.batch.size</c>, <c>refundworker.outbox.parked</c>
/// (tag reason). Gauges (see <see cref="BacklogGauges"/> and <see cref="CircuitStates"/>):
/// <c>refundworker.backlog.operations</c>, <c>refundworker.backlog.oldest_due.age</c> (s),
/// <c>refundworker.operations.needs_review</c>, <c>refundworker.outbox.unsent</c>,
/// <c>refundworker.outbox.oldest_unsent.age</c> (s), <c>refundworker.outbox.parked_rows</c>,
/// <c>refundworker.dead_letters</c>, <c>refundworker.provider.circuit.state</c>; <c>refundworker.outcome.latency</c>
/// (s, tags kind, state: request accepted to final outcome committed).
/// </remarks>
public static class WorkerTelemetry
{
    public const string ServiceName = "RefundWorker";
    public const string ActivitySourceName = "RefundWorker";
    public const string MeterName = "RefundWorker";

    public static readonly ActivitySource Source = new(ActivitySourceName);
    public static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Accepted = Meter.CreateCounter<long>("refundworker.requests.accepted", description: "Requests recorded as new operations.");
    public static readonly Counter<long> Rejected = Meter.CreateCounter<long>("refundworker.requests.rejected", description: "Requests rejected as invalid or conflicting.");
    public static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("refundworker.requests.duplicate", description: "Requests that repeated an existing operation.");
    public static readonly Counter<long> RequestsFaulted = Meter.CreateCounter<long>("refundworker.requests.faulted",
        description: "Request messages moved to <queue>_error (tags queue, reason: unreadable, dead-letter, unrecordable, retries-exhausted).");
    public static readonly Counter<long> Attempts = Meter.CreateCounter<long>("refundworker.attempts", description: "Provider calls (sends and status queries).");
    public static readonly Histogram<double> AttemptDuration = Meter.CreateHistogram<double>("refundworker.attempt.duration", unit: "ms", description: "Latency of provider calls.");
    public static readonly Counter<long> LeasesLost = Meter.CreateCounter<long>("refundworker.leases.lost", description: "Held leases found taken by another holder; no call was made on them.");
    public static readonly Counter<long> CallsNotSent = Meter.CreateCounter<long>("refundworker.calls.not_sent", description: "Provider calls held back before reaching the provider (breaker open, limiter full, lease not confirmed).");
    public static readonly Counter<long> DeadlinesPassed = Meter.CreateCounter<long>("refundworker.operations.deadline_passed", description: "Operations sent to NeedsReview because Worker:MaxOperationAge passed.");
    public static readonly Counter<long> Outcomes = Meter.CreateCounter<long>("refundworker.outcomes", description: "Operations that reached a final state.");
    public static readonly Counter<long> OutboxPublished = Meter.CreateCounter<long>("refundworker.outbox.published", description: "Outbox events published with a broker confirm.");
    public static readonly Counter<long> OutboxUnroutable = Meter.CreateCounter<long>("refundworker.outbox.unroutable", description: "Outbox events RabbitMQ returned because no queue is bound to their exchange (kept unsent, retried).");
    public static readonly Histogram<int> AcceptBatchSize = Meter.CreateHistogram<int>("refundworker.accept.batch.size", description: "Requests per accept transaction.");
    public static readonly Histogram<int> OutcomeBatchSize = Meter.CreateHistogram<int>("refundworker.outcome.batch.size", description: "Outcomes per group commit.");
    public static readonly Counter<long> OutboxParked = Meter.CreateCounter<long>("refundworker.outbox.parked", description: "Outbox events set aside because this build cannot publish them (tag reason: unknown_type, not_an_object, too_large).");

    // Gauges of the backlog, read from PostgreSQL by BacklogGauges once per interval (never per scrape).
    public static readonly ObservableGauge<long> BacklogOperations = Meter.CreateObservableGauge(
        "refundworker.backlog.operations", BacklogGauges.OperationMeasurements, description: "Live operations (Pending, Sending, Reconciling) by provider and state, whole database.");
    public static readonly ObservableGauge<double> BacklogOldestDueAge = Meter.CreateObservableGauge(
        "refundworker.backlog.oldest_due.age", BacklogGauges.OldestDueMeasurements, unit: "s", description: "Age of the oldest live operation whose next attempt is due, by provider (0 when none is due).");
    public static readonly ObservableGauge<long> NeedsReview = Meter.CreateObservableGauge(
        "refundworker.operations.needs_review", () => BacklogGauges.Scalar(b => b.NeedsReview), description: "Operations in NeedsReview, whole database.");
    public static readonly ObservableGauge<long> OutboxUnsent = Meter.CreateObservableGauge(
        "refundworker.outbox.unsent", () => BacklogGauges.Scalar(b => b.OutboxUnsent), description: "Outbox events not yet published (parked ones excluded).");
    public static readonly ObservableGauge<double> OutboxOldestUnsentAge = Meter.CreateObservableGauge(
        "refundworker.outbox.oldest_unsent.age", () => BacklogGauges.Scalar(b => b.OutboxOldestUnsentAgeSeconds), unit: "s", description: "Age of the oldest unsent, unparked outbox event (0 when none).");
    public static readonly ObservableGauge<long> OutboxParkedRows = Meter.CreateObservableGauge(
        "refundworker.outbox.parked_rows", () => BacklogGauges.Scalar(b => b.OutboxParked), description: "Outbox events parked because this build cannot publish them.");
    public static readonly ObservableGauge<long> DeadLetters = Meter.CreateObservableGauge(
        "refundworker.dead_letters", BacklogGauges.DeadLetterMeasurements, description: "Dead letters by status (New, Replayed, Discarded).");
    public static readonly ObservableGauge<int> CircuitState = Meter.CreateObservableGauge(
        "refundworker.provider.circuit.state", CircuitStates.Measurements, description: "Circuit breaker per provider in this replica: 0 closed, 1 open, 2 half-open.");

    // The SLO is "an outcome within 60 s": 60 must be a bucket boundary for the burn-rate rules.
    public static readonly Histogram<double> OutcomeLatency = Meter.CreateHistogram<double>(
        "refundworker.outcome.latency", unit: "s", description: "From the request's acceptance to its final outcome's commit (tags kind, state).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 10, 30, 60, 120, 300, 900, 3600, 21600] });
}
