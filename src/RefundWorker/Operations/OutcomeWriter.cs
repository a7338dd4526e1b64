using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using RefundWorker.Options;
using RefundWorker.Outbox;
using RefundWorker.Persistence;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Group commit of decided transitions: whatever has queued while the previous commit was in flight is written in
/// one transaction (operations updated, outcome events into the outbox, attempts recorded), so under load one
/// PostgreSQL commit carries many outcomes and an idle worker still commits each at once. A transition PostgreSQL
/// refuses never holds up the others: the group is split to isolate it and its operation is parked in NeedsReview.
/// </summary>
public sealed class OutcomeWriter(OperationStore store, LeaseKeeper leases, OutboxSignal outbox, IOptions<WorkerOptions> options, TimeProvider time, ILogger<OutcomeWriter> logger)
    : BackgroundService
{
    private readonly Channel<Transition> _queue = Channel.CreateBounded<Transition>(new BoundedChannelOptions(Math.Max(options.Value.OutcomeBatchSize * 8, 1024))
    {
        SingleReader = true,
    });

    public ValueTask EnqueueAsync(Transition transition, CancellationToken ct) => _queue.Writer.WriteAsync(transition, ct);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Runs after the executor stopped (hosted services stop in reverse order): nothing more will come.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var max = options.Value.OutcomeBatchSize;
        var batch = new List<Transition>(max);
        // Drains until the channel is completed, not until stoppingToken: outcomes decided before shutdown are
        // still committed, so the calls they record are not reconciled for nothing.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < max && _queue.Reader.TryRead(out var t))
            {
                batch.Add(t);
            }

            await CommitAsync(batch, stoppingToken);
            batch.Clear();
        }
    }

    /// <summary>Request-to-outcome latency of each final transition that applied: the SLO ("an outcome within
    /// 60 s") and its burn-rate alerts are computed from it.</summary>
    private static void RecordOutcomeLatency(List<Transition> batch, Dictionary<Guid, (string Kind, DateTimeOffset CreatedAt)> created, DateTimeOffset now)
    {
        foreach (var t in batch)
        {
            if (t.IsFinal && created.TryGetValue(t.OperationId, out var op))
            {
                WorkerTelemetry.OutcomeLatency.Record(
                    Math.Max(0, ((t.CompletedAt ?? now) - op.CreatedAt).TotalSeconds),
                    new KeyValuePair<string, object?>("kind", op.Kind), new KeyValuePair<string, object?>("state", t.State.ToString()));
            }
        }
    }

    /// <summary>
    /// Commits <paramref name="batch"/>, retrying while PostgreSQL is unavailable. When PostgreSQL refuses the data
    /// (<see cref="PostgresErrors.IsDataError"/>) the group is split in halves, each committed on its own, until the
    /// one transition it refuses is alone; that operation is parked in NeedsReview (<see cref="ParkAsync"/>) and
    /// every other outcome is recorded. Returns false only when <paramref name="parking"/> and the single transition
    /// was refused (the caller tries a smaller park).
    /// </summary>
    private async Task<bool> CommitAsync(List<Transition> batch, CancellationToken stoppingToken, bool parking = false)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            using var activity = WorkerTelemetry.Source.StartActivity("outcome.commit");
            activity?.SetTag("batch.size", batch.Count);
            try
            {
                var now = time.GetUtcNow();
                var created = new Dictionary<Guid, (string Kind, DateTimeOffset CreatedAt)>();
                var applied = await store.WriteTransitionsAsync(batch, now, CancellationToken.None, created);
                WorkerTelemetry.OutcomeBatchSize.Record(batch.Count);
                RecordOutcomeLatency(batch, created, now);
                if (applied.Count < batch.Count)
                {
                    foreach (var t in batch.Where(t => !applied.Contains(t.OperationId)))
                    {
                        logger.LogWarning("Lease of operation {OperationId} was lost before its {State} could be recorded; the current lease holder reconciles it", t.OperationId, t.State);
                    }
                }

                // Committed (or found lost): nothing to keep alive any more.
                Release(batch);
                if (batch.Any(t => t.Event is not null && applied.Contains(t.OperationId)))
                {
                    outbox.Notify();
                }

                return true;
            }
            catch (Exception e) when (PostgresErrors.IsDataError(e))
            {
                // The same rows are refused on every try: retrying the group as it is would wedge every outcome
                // behind this one. Isolate the refused transition instead.
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                if (batch.Count > 1)
                {
                    logger.LogWarning("PostgreSQL refused a group of {Count} outcomes ({Reason}); committing it in halves to isolate the refused one",
                        batch.Count, PostgresErrors.Describe(e));
                    var half = batch.Count / 2;
                    var first = await CommitAsync(batch.GetRange(0, half), stoppingToken, parking);
                    var second = await CommitAsync(batch.GetRange(half, batch.Count - half), stoppingToken, parking);
                    return first && second;
                }

                if (parking)
                {
                    return false;
                }

                await ParkAsync(batch[0], e, stoppingToken);
                return true;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                if (!await BackOffAsync(e, batch.Count, delay, stoppingToken))
                {
                    Release(batch);
                    return true;
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    /// <summary>
    /// Records the operation of a transition PostgreSQL refused in NeedsReview, with the reason and its NeedsReview
    /// event (<see cref="OutcomeParking"/>), under the same lease. The refused transition's attempts go with it;
    /// should they be what PostgreSQL refuses, the park is recorded without them (they are logged). If even that is
    /// refused, the lease is left to expire and the operation is reconciled.
    /// </summary>
    private async Task ParkAsync(Transition refused, Exception error, CancellationToken stoppingToken)
    {
        var reason = PostgresErrors.Describe(error);
        logger.LogError(error, "PostgreSQL refused the {State} of operation {OperationId} ({Reason}); parking the operation in NeedsReview",
            refused.State, refused.OperationId, reason);
        var delay = TimeSpan.FromMilliseconds(100);
        Persistence.Operation? op;
        while (true)
        {
            try
            {
                op = await store.FindAsync(refused.OperationId, CancellationToken.None);
                break;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                if (!await BackOffAsync(e, 1, delay, stoppingToken))
                {
                    Release([refused]);
                    return;
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }

        if (op is null || op.LeaseToken != refused.LeaseToken)
        {
            logger.LogWarning("Operation {OperationId} is no longer under this lease; the current lease holder reconciles it", refused.OperationId);
            Release([refused]);
            return;
        }

        var now = time.GetUtcNow();
        if (await CommitAsync([OutcomeParking.Park(op, refused, reason, now, withAttempts: true)], stoppingToken, parking: true))
        {
            return;
        }

        foreach (var a in refused.Calls)
        {
            logger.LogError("Attempt {Number} ({Action}, X-EXTERNAL-ID {ExternalId}, HTTP {HttpStatus}, {ResponseCode}) of operation {OperationId} could not be recorded",
                a.Number, StorageText.Clean(a.Action, 16), StorageText.Clean(a.ExternalId, 64), a.HttpStatus, StorageText.CleanOrNull(a.ResponseCode, 16), a.OperationId);
        }

        if (!await CommitAsync([OutcomeParking.Park(op, refused, reason, now, withAttempts: false)], stoppingToken, parking: true))
        {
            logger.LogCritical("PostgreSQL refused even the NeedsReview of operation {OperationId}; its lease will expire and it will be reconciled", refused.OperationId);
            Release([refused]);
        }
    }

    /// <summary>Waits before the next try after a transient failure; false when stopping (give up: leases expire).</summary>
    /// <summary>Stops renewing the leases of these transitions (committed, or left to expire).</summary>
    private void Release(IEnumerable<Transition> transitions)
    {
        foreach (var t in transitions)
        {
            leases.Release(t.OperationId, t.LeaseToken);
        }
    }

    private async Task<bool> BackOffAsync(Exception e, int count, TimeSpan delay, CancellationToken stoppingToken)
    {
        if (stoppingToken.IsCancellationRequested)
        {
            // Stopping with PostgreSQL away: the leases expire and the operations are reconciled.
            logger.LogError(e, "Could not record {Count} outcomes while stopping; their leases will expire", count);
            return false;
        }

        logger.LogWarning(e, "Recording {Count} outcomes failed; retrying in {Delay}", count, delay);
        try
        {
            await Task.Delay(delay, time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }

        return true;
    }
}
