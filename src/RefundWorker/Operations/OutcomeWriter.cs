using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using RefundWorker.Options;
using RefundWorker.Outbox;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Group commit of decided transitions: whatever has queued while the previous commit was in flight is written in
/// one transaction (operations updated, outcome events into the outbox, attempts recorded), so under load one
/// PostgreSQL commit carries many outcomes and an idle worker still commits each at once.
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

    private async Task CommitAsync(List<Transition> batch, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            using var activity = WorkerTelemetry.Source.StartActivity("outcome.commit");
            activity?.SetTag("batch.size", batch.Count);
            try
            {
                var applied = await store.WriteTransitionsAsync(batch, time.GetUtcNow(), CancellationToken.None);
                WorkerTelemetry.OutcomeBatchSize.Record(batch.Count);
                if (applied.Count < batch.Count)
                {
                    foreach (var t in batch.Where(t => !applied.Contains(t.OperationId)))
                    {
                        logger.LogWarning("Lease of operation {OperationId} was lost before its {State} could be recorded; the current lease holder reconciles it", t.OperationId, t.State);
                    }
                }

                // Committed (or found lost): nothing to keep alive any more.
                foreach (var t in batch)
                {
                    leases.Release(t.OperationId, t.LeaseToken);
                }

                if (batch.Any(t => t.Event is not null && applied.Contains(t.OperationId)))
                {
                    outbox.Notify();
                }

                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                if (stoppingToken.IsCancellationRequested)
                {
                    // Stopping with PostgreSQL away: the leases expire and the operations are reconciled.
                    logger.LogError(e, "Could not record {Count} outcomes while stopping; their leases will expire", batch.Count);
                    foreach (var t in batch)
                    {
                        leases.Release(t.OperationId, t.LeaseToken);
                    }

                    return;
                }

                logger.LogWarning(e, "Recording {Count} outcomes failed; retrying in {Delay}", batch.Count, delay);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }
}
