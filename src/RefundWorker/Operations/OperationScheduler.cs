using Microsoft.Extensions.Options;
using Npgsql;
using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Claims due work from PostgreSQL (<c>FOR UPDATE SKIP LOCKED</c> + lease): retries whose backoff ended,
/// reconciliation steps whose time came, and operations whose lease expired because a replica died. The retry
/// schedule lives in the table, not in memory and not in a broker plugin.
/// </summary>
public sealed class OperationScheduler(
    OperationStore store, OperationExecutor executor, LeaseKeeper leases, Availability.DatabaseGate gate, WorkerNode node, IOptions<WorkerOptions> options, TimeProvider time, ILogger<OperationScheduler> logger)
    : BackgroundService
{
    private readonly WakeSignal _wake = new();

    /// <summary>Look now rather than at the next poll (tests, and after a batch was deferred).</summary>
    public void Wake() => _wake.Set();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                // While PostgreSQL is away there is nothing to claim: wait for the gate instead of failing every poll.
                await gate.WaitUntilOpenAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var limit = Math.Min(o.SchedulerBatchSize, executor.FreeSlots);
            if (limit > 0)
            {
                try
                {
                    claimed = await ClaimAsync(limit, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    logger.LogWarning(e, "Claiming due operations failed; retrying at the next poll");
                }
            }

            if (claimed > 0 && claimed == limit)
            {
                continue;
            }

            try
            {
                await _wake.WaitAsync(o.SchedulerPollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<int> ClaimAsync(int limit, CancellationToken ct)
    {
        using var activity = WorkerTelemetry.Source.StartActivity("scheduler.claim");
        // Read before the statement is sent: the lease PostgreSQL sets ends later than this plus its length.
        var sentAt = time.GetTimestamp();
        var claimed = await store.ClaimDueAsync(node.Id, options.Value.LeaseDuration, limit, ct);
        activity?.SetTag("claimed", claimed.Count);
        foreach (var (op, previous) in claimed)
        {
            // Pending: known not sent. Sending with an expired lease: its call may have landed. Reconciling: unknown.
            var mode = previous == OperationState.Pending ? WorkMode.Send : WorkMode.Reconcile;
            leases.Hold(op.Id, op.LeaseToken!.Value, sentAt, options.Value.LeaseDuration);
            if (previous == OperationState.Sending)
            {
                logger.LogInformation("Operation {OperationId} was left in flight by an expired lease; reconciling it", op.Id);
            }

            await executor.EnqueueAsync(new WorkItem(op, mode, FirstCall: mode == WorkMode.Send && op.Attempts == 0 && op.Queries == 0) { ResumedFrom = previous }, ct);
        }

        return claimed.Count;
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
