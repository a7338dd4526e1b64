using Microsoft.Extensions.Options;
using Npgsql;
using RefundWorker.Operations;
using RefundWorker.Options;

namespace RefundWorker.Availability;

/// <summary>Where the gate stands.</summary>
public enum GateState
{
    /// <summary>Not probed yet: consumers wait for the first probe, endpoints are left alone.</summary>
    Starting,

    /// <summary>PostgreSQL answers and the schema is migrated: requests are consumed.</summary>
    Open,

    /// <summary>PostgreSQL is away or not migrated: the request endpoints are stopped.</summary>
    Closed,
}

/// <summary>The gate's state, why, and since when.</summary>
public sealed record GateStatus(GateState State, string Description, DateTimeOffset Since);

/// <summary>
/// Keeps requests in RabbitMQ while PostgreSQL cannot take them, however long that lasts.
/// </summary>
/// <remarks>
/// <para>
/// Why: a consumer that fails because the database is away faults; it is retried in memory, then the message moves
/// to <c>&lt;queue&gt;_error</c>, and the quorum queue's delivery limit dead-letters a message that keeps
/// coming back. Both turn an outage into lost requests that someone must replay by hand.
/// </para>
/// <para>
/// How: this service probes PostgreSQL every <c>Worker:DatabaseGate:ProbeInterval</c> (<see cref="DatabaseProbe"/>:
/// connect, and the newest migration of this build is in the history table). One failed probe closes the gate;
/// <c>ProbesToReopen</c> good ones in a row open it again (one at start, when there was no outage to flap from).
/// While the gate is closed the request queues are not consumed: <see cref="Consumers.RequestQueueConsumer{T}"/>
/// (refund-requested, cancel-requested) cancels its broker consumer and waits for the gate to open;
/// <see cref="GatedReceiveEndpoints"/> stops the MassTransit endpoints (cvs-payment-code-issued,
/// cvs-payment-code-closed) with MassTransit's own <c>IReceiveEndpoint.Stop</c>/<c>Start</c> (what its kill switch
/// uses). Either way the broker delivers nothing, so messages published during the outage simply wait in the queue,
/// never delivered, never counted.
/// </para>
/// <para>
/// The consumers run their database work through <see cref="RunAsync"/>. It waits while the gate is not open, and
/// when the work fails with a database failure (<see cref="DatabaseFailures"/>) it does not throw: it probes at once.
/// If PostgreSQL is really away the gate closes, the endpoint stops, and the consumer keeps holding its messages
/// unacknowledged: if PostgreSQL returns within <c>StopGracePeriod</c> the work is simply done again and acked; if
/// not, the consumer cancels the held messages and they are returned to the queue (the request consumers close their
/// channel; MassTransit nacks: an OperationCanceledException on a cancelled consume is neither retried nor moved to
/// the error queue). If the probe finds PostgreSQL healthy (a broken pooled connection, a deadlock), the work is
/// tried again in place, up to <c>InPlaceRetries</c> times.
/// </para>
/// <para>
/// What it costs against the delivery limit (<see cref="Extensions.MessagingTopology.DeliveryLimit"/>, 30): RabbitMQ
/// before 4.3 counts every return of a message to a quorum queue (nack, or its consumer's channel closing) as a
/// delivery. An outage returns only what the consumers held when it began (at most the prefetch window per
/// replica), once, whatever its length; a pod that starts before the migration job does the same once. So a
/// request is dead-lettered only if it was held at more than thirty separate outages, restarts and reconnects; the
/// limit is sized for that. A consumer that crashes the process with a message still counts, as before:
/// that is what the limit is for.
/// </para>
/// </remarks>
public sealed class DatabaseGate(
    DatabaseProbe probe, NpgsqlDataSource dataSource, IOptions<DatabaseGateOptions> options, TimeProvider time, ILogger<DatabaseGate> logger)
    : BackgroundService
{
    private readonly Lock _lock = new();
    private readonly WakeSignal _wake = new();
    private GateStatus _status = new(GateState.Starting, "PostgreSQL has not been probed yet", time.GetUtcNow());
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<ProbeResult> _nextProbe = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _goodProbes;
    private bool _everOpened;

    /// <summary>Raised (on the probe loop) whenever <see cref="Status"/> changes state.</summary>
    public event Action? StateChanged;

    public GateStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>Completes when the gate is open; throws OperationCanceledException(<paramref name="ct"/>) when cancelled.</summary>
    public Task WaitUntilOpenAsync(CancellationToken ct)
    {
        Task opened;
        lock (_lock)
        {
            opened = _opened.Task;
        }

        return opened.IsCompleted ? Task.CompletedTask : opened.WaitAsync(ct);
    }

    /// <summary>Probes now (instead of at the next interval) and returns what the probe found.</summary>
    public Task<ProbeResult> ProbeNowAsync(CancellationToken ct)
    {
        Task<ProbeResult> next;
        lock (_lock)
        {
            next = _nextProbe.Task;
        }

        Wake();
        return next.WaitAsync(ct);
    }

    /// <summary>
    /// Runs a consumer's database work: waits while the gate is not open, and holds on through database failures
    /// instead of faulting (see the remarks on the class). <paramref name="ct"/> must be the token that gives the
    /// messages up (the ConsumeContext's, or the request consumer's): when it is cancelled, the
    /// OperationCanceledException returns the messages.
    /// </summary>
    public async Task RunAsync(string what, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        var inPlace = 0;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            await WaitUntilOpenAsync(ct);
            try
            {
                await work(ct);
                return;
            }
            catch (Exception e) when (DatabaseFailures.IsRetryable(e) && !ct.IsCancellationRequested)
            {
                var found = await ProbeNowAsync(ct);
                if (!found.IsReady)
                {
                    logger.LogWarning("{What} is held until PostgreSQL is back: {Reason} ({Error})", what, found.Description, e.Message);
                    continue;
                }

                if (++inPlace > options.Value.InPlaceRetries)
                {
                    logger.LogError(e, "{What} failed {Count} times although PostgreSQL answers; handing it to the retry policy", what, inPlace);
                    throw;
                }

                logger.LogWarning(e, "{What} failed although PostgreSQL answers; trying again in {Delay}", what, delay);
                // A wall-clock pause, not business time: tests that hold the TimeProvider still must not hang here.
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            ProbeResult result;
            try
            {
                result = await probe.RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            Apply(result);
            try
            {
                await _wake.WaitAsync(options.Value.ProbeInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Apply(ProbeResult result)
    {
        TaskCompletionSource<ProbeResult> probed;
        GateStatus? previous = null;
        GateStatus current;
        lock (_lock)
        {
            probed = _nextProbe;
            _nextProbe = new TaskCompletionSource<ProbeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var now = time.GetUtcNow();
            if (result.IsReady)
            {
                _goodProbes++;
                if (_status.State != GateState.Open && _goodProbes >= (_everOpened ? options.Value.ProbesToReopen : 1))
                {
                    previous = _status;
                    _status = new GateStatus(GateState.Open, result.Description, now);
                    _everOpened = true;
                    _opened.TrySetResult();
                }
            }
            else
            {
                _goodProbes = 0;
                if (_status.State != GateState.Closed || _status.Description != result.Description)
                {
                    previous = _status;
                    _status = new GateStatus(GateState.Closed, result.Description, _status.State == GateState.Closed ? _status.Since : now);
                    if (_opened.Task.IsCompleted)
                    {
                        _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
            }

            current = _status;
        }

        probed.TrySetResult(result);
        if (previous is null)
        {
            return;
        }

        if (current.State == GateState.Open)
        {
            // Idle pooled connections opened before the outage are dead; without this the first accept after the
            // outage would fail on one of them and close the gate again.
            dataSource.Clear();
            if (previous.State == GateState.Closed)
            {
                logger.LogWarning("Consuming requests again after {Pause:0} s paused ({Description})",
                    (current.Since - previous.Since).TotalSeconds, current.Description);
            }
            else
            {
                logger.LogInformation("PostgreSQL is ready ({Description}); consuming requests", current.Description);
            }
        }
        else if (previous.State != GateState.Closed)
        {
            logger.LogError("Consuming requests is paused: {Reason}. Requests wait in RabbitMQ until PostgreSQL is back", current.Description);
        }
        else
        {
            logger.LogWarning("Consuming requests is still paused: {Reason}", current.Description);
        }

        if (previous.State != current.State)
        {
            StateChanged?.Invoke();
        }
    }

    // A probe already due covers this one.
    private void Wake() => _wake.Set();

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
