using System.Threading.Channels;
using Microsoft.Extensions.Options;
using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Snap;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Runs provider calls for leased operations with bounded concurrency (<c>Worker:Concurrency</c>) and hands each
/// decided <see cref="Transition"/> to the <see cref="OutcomeWriter"/>, which commits them in groups.
/// At shutdown it stops taking work, lets calls in flight finish up to <c>Worker:ShutdownTimeout</c>, and releases
/// the leases of operations it had not started (they go back to due, not to "unknown").
/// </summary>
public sealed class OperationExecutor : BackgroundService
{
    private readonly Channel<WorkItem> _queue;
    private readonly int _capacity;
    private readonly WorkerOptions _options;
    private readonly SnapProviderRegistry _providers;
    private readonly ProviderGateway _gateway;
    private readonly IExternalIdGenerator _externalIds;
    private readonly OutcomeWriter _writer;
    private readonly LeaseKeeper _leases;
    private readonly OperationStore _store;
    private readonly Admin.ProviderPauses _pauses;
    private readonly TimeProvider _time;
    private readonly ILogger<OperationExecutor> _logger;
    private readonly OperationStateMachine _machine;
    private readonly CancellationTokenSource _calls = new();
    private int _inFlight;

    public OperationExecutor(IOptions<WorkerOptions> options, SnapProviderRegistry providers, ProviderGateway gateway,
        IExternalIdGenerator externalIds, OutcomeWriter writer, LeaseKeeper leases, OperationStore store, Admin.ProviderPauses pauses, TimeProvider time, ILogger<OperationExecutor> logger)
    {
        _options = options.Value;
        _providers = providers;
        _gateway = gateway;
        _externalIds = externalIds;
        _writer = writer;
        _leases = leases;
        _store = store;
        _pauses = pauses;
        _time = time;
        _logger = logger;
        _machine = new OperationStateMachine(_options);
        _capacity = Math.Max(_options.Concurrency * 2, _options.AcceptBatchSize * _options.AcceptConcurrency);
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(_capacity) { SingleWriter = false, SingleReader = false });
    }

    /// <summary>Room for more work: the scheduler claims no more than this.</summary>
    public int FreeSlots => Math.Max(0, _capacity - _queue.Reader.Count - Volatile.Read(ref _inFlight));

    /// <summary>Waits while the queue is full: back-pressure on the consumers, so prefetched messages stay unacked.</summary>
    public ValueTask EnqueueAsync(WorkItem item, CancellationToken ct) => _queue.Writer.WriteAsync(item, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = new Task[_options.Concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => WorkLoopAsync(stoppingToken), CancellationToken.None);
        }

        await Task.WhenAll(workers);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        _calls.CancelAfter(_options.ShutdownTimeout);
        await base.StopAsync(cancellationToken);

        // Not started: give the lease back so any replica (or our restart) sends them promptly.
        var now = _time.GetUtcNow();
        var released = 0;
        while (_queue.Reader.TryRead(out var item))
        {
            released++;
            await _writer.EnqueueAsync(Defer(item, item.Mode == WorkMode.Send ? OperationState.Pending : OperationState.Reconciling, now, [], item.Op.Attempts, item.Op.Queries), CancellationToken.None);
        }

        if (released > 0)
        {
            _logger.LogInformation("Released {Count} leased operations that had not started", released);
        }
    }

    public override void Dispose()
    {
        _calls.Dispose();
        base.Dispose();
    }

    private async Task WorkLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            WorkItem item;
            try
            {
                // TryRead before waiting: every wait on a channel with many readers allocates its waiter, and under
                // load there is almost always an item ready. False from the wait: the queue was completed (stopping).
                while (!_queue.Reader.TryRead(out item!))
                {
                    if (!await _queue.Reader.WaitToReadAsync(stoppingToken))
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ChannelClosedException)
            {
                return;
            }

            Interlocked.Increment(ref _inFlight);
            using var step = OperationTrace.StartStep(item);
            try
            {
                var transition = await ProcessAsync(item, _calls.Token);
                if (transition is null)
                {
                    // Another holder has it now; nothing was sent by us since we lost it.
                    _leases.Release(item.Op.Id, item.Op.LeaseToken!.Value);
                }
                else
                {
                    // The writer releases the lease once the transition is committed.
                    await _writer.EnqueueAsync(transition, CancellationToken.None);
                }
            }
            catch (Exception e)
            {
                // Stop renewing: when the lease expires the operation is reconciled (never blindly re-sent).
                _leases.Release(item.Op.Id, item.Op.LeaseToken!.Value);
                step?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.GetType().Name);
                _logger.LogError(e, "Operation {OperationId} failed unexpectedly; its lease will expire and it will be reconciled", item.Op.Id);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    /// <summary>
    /// One step of the state machine for a leased operation: the checks every step makes (deadline, pause, provider
    /// still configured), then <see cref="SendAsync"/>, <see cref="ReconcileByQueryAsync"/> or
    /// <see cref="ReconcileByResendAsync"/>. Null when the lease turned out to belong to another holder: that holder
    /// carries on, this one records nothing.
    /// </summary>
    public async Task<Transition?> ProcessAsync(WorkItem item, CancellationToken ct)
    {
        var op = item.Op;
        var sends = op.Attempts;
        var reconcileSteps = op.Queries;
        var calls = new List<Attempt>();
        var now = _time.GetUtcNow();
        if (now - op.CreatedAt > _options.MaxOperationAge)
        {
            // Nothing else ends a wait that never ends (a removed provider, a breaker that never closes, a provider
            // paused and forgotten): after the deadline a person decides, with the history in the attempt trail.
            var sent = sends > 0 || reconcileSteps > 0 ? $"{sends} sends and {reconcileSteps} reconciliation steps made" : "never sent";
            WorkerTelemetry.DeadlinesPassed.Add(1, new KeyValuePair<string, object?>("provider", op.Provider));
            return Apply(op, item, Decision.Review(op.ResponseCode is { } rc && ResponseCode.TryParse(rc, out var code) ? code : null,
                $"Deadline passed: not resolved within Worker:MaxOperationAge ({_options.MaxOperationAge}) of being accepted ({sent}; state {op.State}; last: {op.OutcomeMessage ?? "none"})."),
                calls, sends, reconcileSteps);
        }

        if (_pauses.IsPaused(op.Provider))
        {
            // Paused by an operator during an incident: no call, no attempt spent; the lease ends at the commit.
            return Defer(item, item.Mode == WorkMode.Send ? OperationState.Pending : OperationState.Reconciling, now + _pauses.RecheckAfter, calls, sends, reconcileSteps);
        }

        if (!_providers.TryGet(op.Provider, out var provider))
        {
            _logger.LogError("Operation {OperationId} names provider {Provider}, which is no longer configured; it waits", op.Id, op.Provider);
            return Defer(item, item.Mode == WorkMode.Send ? OperationState.Pending : OperationState.Reconciling, now + TimeSpan.FromMinutes(5), calls, sends, reconcileSteps);
        }

        if (item.Mode == WorkMode.Send)
        {
            return await SendAsync(item, provider, now, ct);
        }

        // Reconciling. A replica that lost its lease before its outcome commit (PostgreSQL away longer than the
        // lease) may still have recorded the provider's success answer in the trail: that answer is proof.
        if (await _store.FindRecordedSuccessAsync(op.Id, ct) is { } recorded)
        {
            var code = ResponseCode.TryParse(recorded.ResponseCode, out var c) ? c : (ResponseCode?)null;
            return Apply(op, item, Decision.Succeed(code, op.ReferenceNo, op.OutcomeTime,
                $"confirmed by the provider's answer {recorded.ResponseCode} to attempt {recorded.Number}, recorded in the attempt trail"), calls, sends, reconcileSteps);
        }

        return provider.QueryEndpoint is not null
            ? await ReconcileByQueryAsync(item, provider, ct)
            : await ReconcileByResendAsync(item, provider, ct);
    }

    /// <summary>A send of an operation known not to have landed (a fresh one, or one a query showed not effected).</summary>
    private async Task<Transition?> SendAsync(WorkItem item, SnapProvider provider, DateTimeOffset now, CancellationToken ct)
    {
        var op = item.Op;
        var (sends, reconcileSteps) = (op.Attempts, op.Queries);
        var calls = new List<Attempt>();

        // The message's X-EXTERNAL-ID belongs to the Jakarta day it was accepted on. A first send held back past
        // midnight (breaker, limiter, pause) gets a generated one: the order system may reuse its id that day.
        var ownId = item.FirstCall && sends == 0 && reconcileSteps == 0 && ExternalIdDay.Of(now) == op.ExternalIdDate;
        var externalId = ownId ? op.ExternalId : NewExternalId(provider);
        var call = await _gateway.CallAsync(provider, op, CallKind.Send, externalId, ct);
        if (call.NotSent)
        {
            return HeldBack(item, provider, call, OperationState.Pending, calls, sends, reconcileSteps);
        }

        Record(calls, op, call, sends + reconcileSteps);
        sends++;
        // A Pending operation with reconciliation steps behind it had an unknown outcome once: an earlier send
        // may still land, so this send's refusal proves nothing either.
        return Apply(op, item, _machine.AfterSend(op, call, provider.QueryEndpoint is not null, reconciling: reconcileSteps > 0, sends, reconcileSteps, _time.GetUtcNow()),
            calls, sends, reconcileSteps);
    }

    /// <summary>
    /// Reconciling without a status query (the bank): re-send the same partnerRefundNo with a new X-EXTERNAL-ID; the
    /// provider answers a repeat of a landed refund as such. The re-send is a send and a reconciliation step.
    /// </summary>
    private async Task<Transition?> ReconcileByResendAsync(WorkItem item, SnapProvider provider, CancellationToken ct)
    {
        var op = item.Op;
        var (sends, reconcileSteps) = (op.Attempts, op.Queries);
        var calls = new List<Attempt>();
        var resend = await _gateway.CallAsync(provider, op, CallKind.Send, NewExternalId(provider), ct);
        if (resend.NotSent)
        {
            return HeldBack(item, provider, resend, OperationState.Reconciling, calls, sends, reconcileSteps);
        }

        Record(calls, op, resend, sends + reconcileSteps);
        sends++;
        reconcileSteps++;
        return Apply(op, item, _machine.AfterSend(op, resend, hasQuery: false, reconciling: true, sends, reconcileSteps, _time.GetUtcNow()), calls, sends, reconcileSteps);
    }

    /// <summary>
    /// Reconciling with a status query: effected ends it, unknown waits for the next step, and "not effected" is
    /// followed at once by a send of the same partnerRefundNo with a new X-EXTERNAL-ID.
    /// </summary>
    private async Task<Transition?> ReconcileByQueryAsync(WorkItem item, SnapProvider provider, CancellationToken ct)
    {
        var op = item.Op;
        var (sends, reconcileSteps) = (op.Attempts, op.Queries);
        var calls = new List<Attempt>();
        var query = await _gateway.CallAsync(provider, op, CallKind.Query, NewExternalId(provider), ct);
        if (query.NotSent)
        {
            return HeldBack(item, provider, query, OperationState.Reconciling, calls, sends, reconcileSteps);
        }

        Record(calls, op, query, sends + reconcileSteps);
        reconcileSteps++;
        var (verdict, referenceNo, time) = OperationStateMachine.Interpret(op, query);
        switch (verdict)
        {
            case QueryVerdict.Effected:
                return Apply(op, item, Decision.Succeed(query.Code, referenceNo, time, "confirmed by status query"), calls, sends, reconcileSteps);
            case QueryVerdict.Unknown:
                return Apply(op, item, _machine.EnterReconcile(reconcileSteps, query.Code, _time.GetUtcNow(), $"status query: {query.Code?.ToString() ?? query.Error}"), calls, sends, reconcileSteps);
        }

        // The provider shows it did not happen: send again, same partnerRefundNo, new X-EXTERNAL-ID.
        var send = await _gateway.CallAsync(provider, op, CallKind.Send, NewExternalId(provider), ct);
        if (send.NotSent)
        {
            // The query is recorded (reconcileSteps > 0), so the next claim's send is read as reconciling too.
            return HeldBack(item, provider, send, OperationState.Pending, calls, sends, reconcileSteps);
        }

        Record(calls, op, send, sends + reconcileSteps);
        sends++;
        // Reconciling: the first send may land after the query said "not effected" (a late 404xx13 or 409xx01 on
        // this re-send would then be its trace), so a refusal here leads to another query, never to Failed.
        return Apply(op, item, _machine.AfterSend(op, send, hasQuery: true, reconciling: true, sends, reconcileSteps, _time.GetUtcNow()), calls, sends, reconcileSteps);
    }

    private string NewExternalId(SnapProvider provider) => _externalIds.Next(provider.PartnerId, provider.ExternalIdMaxLength);

    /// <summary>A call the pipeline held back: nothing reached the provider, nothing is counted. Null when the lease
    /// is another holder's now (that holder carries on); otherwise the operation waits in <paramref name="state"/>.</summary>
    private Transition? HeldBack(WorkItem item, SnapProvider provider, ProviderCall call, OperationState state, List<Attempt> calls, int sends, int reconcileSteps)
        => call.HeldBack == NotSentReason.LeaseLost ? null : Defer(item, state, DeferUntil(provider, call), calls, sends, reconcileSteps);

    private DateTimeOffset DeferUntil(SnapProvider provider, ProviderCall call)
    {
        var now = _time.GetUtcNow();
        if (_calls.IsCancellationRequested)
        {
            return now;
        }

        // Nothing was sent, so no attempt is counted. Breaker open: come back when it may half-open. Limiter queue
        // full or lease not confirmed (PostgreSQL away): a short pause.
        return call.HeldBack == NotSentReason.BreakerOpen
            ? now + (_options.For(provider.Name).BreakerBreakDuration ?? TimeSpan.FromSeconds(5))
            : now + TimeSpan.FromSeconds(1);
    }

    private static Transition Defer(WorkItem item, OperationState state, DateTimeOffset nextAt, List<Attempt> calls, int sends, int reconcileSteps) => new()
    {
        OperationId = item.Op.Id,
        LeaseToken = item.Op.LeaseToken!.Value,
        State = state,
        Sends = sends,
        ReconcileSteps = reconcileSteps,
        NextAttemptAt = nextAt,
        Calls = calls,
        ReferenceNo = null,
    };

    private Transition Apply(Operation op, WorkItem item, Decision d, List<Attempt> calls, int sends, int reconcileSteps)
    {
        var now = _time.GetUtcNow();
        var final = d.State.IsFinal();
        OutboxEnvelope? evt = null;
        if (final)
        {
            var done = op.Copy();
            done.State = d.State;
            done.Attempts = sends;
            done.Queries = reconcileSteps;
            done.ResponseCode = d.Code?.ToString() ?? op.ResponseCode;
            done.ErrorCode = d.ErrorCode;
            done.OutcomeMessage = d.Message;
            done.ReferenceNo = d.ReferenceNo ?? op.ReferenceNo;
            done.OutcomeTime = d.Time ?? op.OutcomeTime;
            evt = OutcomeEvents.For(done, now);
            WorkerTelemetry.Outcomes.Add(1, new KeyValuePair<string, object?>("kind", op.Kind.ToString()), new KeyValuePair<string, object?>("state", d.State.ToString()));
        }

        return new Transition
        {
            OperationId = op.Id,
            LeaseToken = item.Op.LeaseToken!.Value,
            State = d.State,
            Sends = sends,
            ReconcileSteps = reconcileSteps,
            NextAttemptAt = final ? null : d.NextAt,
            ResponseCode = d.Code?.ToString(),
            ErrorCode = d.ErrorCode,
            OutcomeMessage = d.Message.Length > 1000 ? d.Message[..1000] : d.Message,
            ReferenceNo = d.ReferenceNo,
            OutcomeTime = d.Time,
            CompletedAt = final ? now : null,
            Calls = calls,
            Event = evt,
        };
    }

    /// <summary>
    /// The calls' rows for the outcome commit. Their X-EXTERNAL-IDs are already in the trail (written before the wire
    /// by <see cref="AttemptJournal"/>, which numbers them); the commit fills in the answers. A token refused before a
    /// retry is its own row: sent, not processed.
    /// </summary>
    private static void Record(List<Attempt> calls, Operation op, ProviderCall call, int callsBefore)
    {
        if (call.Refreshed is { } refused)
        {
            Add(refused.ExternalId, refused.HttpStatus, refused.Code, nameof(OutcomeClass.RefreshToken), null, refused.Latency,
                "token refused; retried with a new token and X-EXTERNAL-ID");
        }

        var detail = call.Code is not null ? call.ResponseMessage : call.Error;
        Add(call.ExternalId, call.HttpStatus, call.Code, call.Outcome.ToString(), call.Transport?.ToString(), call.Latency,
            detail is { Length: > 256 } ? detail[..256] : detail);

        void Add(string externalId, int? httpStatus, ResponseCode? code, string classification, string? transport, TimeSpan latency, string? text)
            => calls.Add(new Attempt
            {
                OperationId = op.Id,
                Number = callsBefore + calls.Count + 1,
                Action = call.Kind == CallKind.Send ? "send" : "query",
                Provider = op.Provider,
                ExternalId = externalId,
                RequestedAt = call.RequestedAt,
                HttpStatus = httpStatus,
                ResponseCode = code?.ToString(),
                Classification = classification,
                TransportFailure = transport,
                LatencyMs = Math.Round(latency.TotalMilliseconds, 3),
                TraceId = call.TraceId,
                Detail = text,
            });
    }
}
