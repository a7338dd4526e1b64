using System.Collections.Concurrent;
using System.Diagnostics;
using Polly.RateLimiting;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Npgsql;
using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Snap;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Calls providers through a per-provider Polly pipeline, outermost first: circuit breaker (an open breaker costs
/// no permit and no attempt), concurrency limiter, then (once the provider's access token is in hand) the rate limiter
/// (<c>RateLimitPerSecond</c>, <see cref="PacingRateLimiter"/>), the lease fence (<see cref="LeaseKeeper.FenceAsync"/>) and a timeout guard around the SNAP client (which has its own
/// per-provider HTTP timeout). The fence runs last, when the call can actually start, so time spent waiting for
/// permits never eats into the lease that covers the call. Waiting work keeps its lease through the keeper's
/// heartbeat and spends no attempt. A rate-limited request passes the rate limiter a second time right before the
/// wire (<see cref="PacingRateLimiter.WaitToSendAsync"/>), after the fence and the attempt trail, so a stall in
/// those steps cannot send the permits granted meanwhile together; between its permit and the fence it waits for its
/// slot in the fleet (<see cref="FleetPacing"/>), so the replicas together keep the provider's limit.
/// </summary>
public sealed class ProviderGateway(
    SnapClient client, LeaseKeeper leases, AttemptJournal journal, FleetPacing fleet, IOptions<WorkerOptions> options, TimeProvider time, ILogger<ProviderGateway> logger,
    ProviderConcurrency? concurrency = null)
{
    private readonly ConcurrentDictionary<string, CallPipelines> _pipelines = new(StringComparer.OrdinalIgnoreCase);
    private readonly ProviderConcurrency _concurrency = concurrency ?? new ProviderConcurrency(options);

    public async Task<ProviderCall> CallAsync(SnapProvider provider, Operation op, CallKind kind, string externalId, CancellationToken ct)
    {
        var requestedAt = time.GetUtcNow();
        using var activity = WorkerTelemetry.Source.StartActivity("operation.execute");
        activity?.SetTag("provider", provider.Name);
        activity?.SetTag("operation.kind", op.Kind.ToString());
        activity?.SetTag("operation.action", kind.ToString());
        // The refundworker.* attributes a trace search uses. Identifiers only: the request's signature, token and
        // keys never become attributes (the SNAP client keeps them in headers, which are not recorded).
        activity?.SetTag("refundworker.provider", provider.Name);
        activity?.SetTag("refundworker.kind", op.Kind.ToString());
        activity?.SetTag("refundworker.action", kind.ToString());
        activity?.SetTag("refundworker.operation_id", op.Id.ToString());
        activity?.SetTag("refundworker.partner_refund_no", op.PartnerRefundNo);
        var pipelines = Pipelines(provider);
        var callTimeout = options.Value.For(provider.Name).CallTimeout!.Value;
        var state = new CallState(client, leases, journal, provider, op, kind, externalId, pipelines, callTimeout, time, fleet);
        ProviderCall call;
        try
        {
            call = await pipelines.Admission.ExecuteAsync(static (s, token) => s.RunAsync(token), state, ct);
        }
        catch (BrokenCircuitException)
        {
            call = NotSent(kind, externalId, requestedAt, NotSentReason.BreakerOpen, "circuit breaker open");
        }
        catch (RateLimiterRejectedException)
        {
            call = NotSent(kind, externalId, requestedAt, NotSentReason.LimiterFull, "concurrency or rate limit queue full");
        }
        catch (Exception e) when (!state.Started && (e is TimeoutRejectedException or AttemptNotRecordedException || (e is OperationCanceledException && ct.IsCancellationRequested)))
        {
            // Stopped before the request went on the wire (the trail could not record it, or time ran out first).
            var reason = e is OperationCanceledException ? NotSentReason.ShuttingDown : NotSentReason.AttemptNotRecorded;
            call = NotSent(kind, externalId, requestedAt, reason, e is OperationCanceledException ? "shutting down" : "the call could not be recorded before sending");
        }
        catch (AttemptNotRecordedException)
        {
            // Only the retry after a refused token (nothing processed) could not be recorded: nothing processed.
            call = NotSent(kind, externalId, requestedAt, NotSentReason.AttemptNotRecorded, "the token retry could not be recorded before sending");
        }
        catch (TimeoutRejectedException)
        {
            // The guard fired while the request may have been on the wire: unknown, never "not sent".
            call = new ProviderCall(kind, OutcomeClass.OutcomeUnknown, null, null, null, TransportFailure.Timeout, state.LastExternalId,
                requestedAt, time.GetUtcNow() - requestedAt, "call exceeded Worker CallTimeout");
        }

        call = call with { RequestedAt = requestedAt, TraceId = activity?.TraceId.ToHexString() };
        activity?.SetTag("snap.outcome", call.NotSent ? $"NotSent:{call.HeldBack}" : call.Outcome.ToString());
        activity?.SetTag("refundworker.external_id", call.ExternalId);
        activity?.SetTag("refundworker.classification", call.NotSent ? $"NotSent:{call.HeldBack}" : call.Outcome.ToString());
        activity?.SetTag("refundworker.snap.response_code", call.Code?.ToString());
        logger.LogDebug("{Action} of operation {OperationId} at {Provider}: {Classification} {ResponseCode}", kind, op.Id, provider.Name, call.NotSent ? $"NotSent:{call.HeldBack}" : call.Outcome, call.Code);
        var tags = new TagList { { "provider", provider.Name }, { "action", kind.ToString() } };
        if (call.NotSent)
        {
            tags.Add("reason", call.HeldBack.ToString());
            WorkerTelemetry.CallsNotSent.Add(1, tags);
        }
        else
        {
            tags.Add("outcome", call.Outcome.ToString());
            WorkerTelemetry.Attempts.Add(1, tags);
            WorkerTelemetry.AttemptDuration.Record(call.Latency.TotalMilliseconds, tags);
            _concurrency.Record(provider.Name, call.Latency);
        }

        return call;
    }

    private static ProviderCall NotSent(CallKind kind, string externalId, DateTimeOffset at, NotSentReason reason, string why)
        => new(kind, OutcomeClass.Retryable, null, null, null, null, externalId, at, TimeSpan.Zero, why, NotSent: true) { HeldBack = reason };

    private CallPipelines Pipelines(SnapProvider provider) => _pipelines.GetOrAdd(provider.Name, name =>
    {
        var o = options.Value.For(name);
        CircuitStates.Track(name);
        var admission = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = o.BreakerFailureRatio!.Value,
                MinimumThroughput = o.BreakerMinimumThroughput!.Value,
                SamplingDuration = o.BreakerSamplingDuration!.Value,
                BreakDuration = o.BreakerBreakDuration!.Value,
                // The provider is in trouble when it answers "unknown" (5xx, timeouts) or "slow down"; a business
                // refusal (403xx14) is a healthy provider saying no, and a call held back never reached it.
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is TimeoutRejectedException
                    || args.Outcome.Result is ProviderCall { Outcome: OutcomeClass.OutcomeUnknown or OutcomeClass.Retryable, NotSent: false }),
                OnOpened = args =>
                {
                    CircuitStates.Set(name, CircuitStates.Open);
                    logger.LogWarning("Circuit breaker of provider {Provider} opened for {BreakDuration}: due operations wait", name, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    CircuitStates.Set(name, CircuitStates.HalfOpen);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    CircuitStates.Set(name, CircuitStates.Closed);
                    logger.LogInformation("Circuit breaker of provider {Provider} closed", name);
                    return ValueTask.CompletedTask;
                },
            })
            // Sized by Little's law from the provider's latency, bounded by Concurrency (ProviderConcurrency).
            .AddRateLimiter(_concurrency.LimiterFor(name))
            .Build();
        // The rate token is taken inside the call (CallState.RunAsync), after the permit and the access token: a token
        // taken while still waiting for either would let calls burst above the rate when they free up.
        var pacer = o.RateLimitPerSecond is { } perSecond ? new PacingRateLimiter(perSecond, queueLimit: 100_000, time) : null;
        var rate = pacer is null ? null : new ResiliencePipelineBuilder { TimeProvider = time }.AddRateLimiter(pacer).Build();
        return new CallPipelines(admission, rate, pacer, new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(o.CallTimeout!.Value).Build());
    });

    private sealed record CallPipelines(ResiliencePipeline Admission, ResiliencePipeline? Rate, PacingRateLimiter? Pacer, ResiliencePipeline Timeout);

    private sealed class CallState(
        SnapClient client, LeaseKeeper leases, AttemptJournal journal, SnapProvider provider, Operation op, CallKind kind, string externalId,
        CallPipelines pipelines, TimeSpan callTimeout, TimeProvider time, FleetPacing fleet)
    {
        /// <summary>A request has gone (or may have gone) on the wire: its X-EXTERNAL-ID is in the trail.</summary>
        public bool Started { get; private set; }

        /// <summary>When this call's fleet slot was due (<see cref="TimeProvider.GetTimestamp"/>), if it booked one.</summary>
        private long? _slotDue;

        public string LastExternalId => externalId;

        public async ValueTask<ProviderCall> RunAsync(CancellationToken ct)
        {
            if (pipelines.Rate is not null)
            {
                // The rate token as late as waiting stays free (no timeout guard runs yet): after the access token,
                // so calls queued behind one token fetch cannot leave it together and reach the provider in a burst.
                await client.WarmUpTokenAsync(provider, ct);
                await pipelines.Rate.ExecuteAsync(static _ => ValueTask.CompletedTask, ct);
                // Then the slot in the fleet, before the fence, so the wait for it does not eat the fenced lease.
                if (!await WaitForFleetSlotAsync(ct))
                {
                    return NotSent(kind, externalId, time.GetUtcNow(), NotSentReason.SlotNotBooked, "the provider's shared rate slot could not be booked");
                }
            }

            // The fence: permits are held, the call can start now. Only a lease that outlives the whole call (the
            // timeout guard's length) plus the margin lets it go.
            var fence = await leases.FenceAsync(op.Id, op.LeaseToken!.Value, callTimeout, ct);
            if (fence != FenceResult.Held)
            {
                var reason = fence == FenceResult.Lost ? NotSentReason.LeaseLost : NotSentReason.LeaseUnconfirmed;
                return NotSent(kind, externalId, time.GetUtcNow(), reason, fence == FenceResult.Lost ? "lease lost to another holder" : "lease could not be confirmed");
            }

            return await pipelines.Timeout.ExecuteAsync(static (s, token) => s.CallAsync(token), this, ct);
        }

        // Only for a rate-limited provider: its pacer is there.
        private async Task<bool> WaitForFleetSlotAsync(CancellationToken ct)
        {
            var pacer = pipelines.Pacer!;
            TimeSpan wait;
            try
            {
                wait = await fleet.BookAsync(provider.Name, pacer.Interval, ct);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                return false;
            }

            _slotDue = SlotIn(wait);
            if (wait > pacer.Interval)
            {
                // The fleet is booked further ahead than this replica's own pace: other replicas share the limit.
                // Hold this replica's permits while waiting, so it books no faster than its share.
                return await pacer.HoldingPermitsAsync(async token =>
                {
                    await Task.Delay(wait, time, token);
                    return true;
                }, ct);
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, ct);
            }

            return true;
        }

        /// <summary>
        /// This replica's spacing (<see cref="PacingRateLimiter.WaitToSendAsync"/>) is always the last wait before the
        /// wire, so no stall can release this replica's sends together. A request more than an interval past its
        /// fleet slot books a new one first (before it queues locally, so that late requests re-book in one go rather
        /// than one local turn apart), and again if its local turn left it late (at most three rounds; each new slot
        /// is behind every slot booked meanwhile, so the fleet keeps its order).
        /// </summary>
        private async ValueTask WaitToSendAsync(PacingRateLimiter pacer, CancellationToken ct)
        {
            for (var round = 1; ; round++)
            {
                await KeepFleetSlotAsync(pacer, ct);
                await pacer.WaitToSendAsync(ct);
                if (round == 3 || !IsLate(pacer))
                {
                    return;
                }
            }
        }

        private long SlotIn(TimeSpan wait) => time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency);

        private bool IsLate(PacingRateLimiter pacer) => _slotDue is { } due && time.GetElapsedTime(due) > pacer.Interval;

        /// <summary>
        /// A send more than an interval past its fleet slot (a stall between the booking and here: the fence, the
        /// trail's commit, a starved thread pool; or the re-send after a refused token) books a new slot and waits for
        /// it. Otherwise two replicas that stalled together would each drain their late calls at their own pace,
        /// together up to twice the limit (seen on the CI machine: sends 36 ms apart after a one-second stall). If
        /// PostgreSQL cannot book it now the request goes at this replica's own pace: the id is already on the trail,
        /// and holding it here would only turn a known send into an unknown one.
        /// </summary>
        private async ValueTask KeepFleetSlotAsync(PacingRateLimiter pacer, CancellationToken ct)
        {
            if (!IsLate(pacer))
            {
                return;
            }

            TimeSpan wait;
            try
            {
                wait = await fleet.BookAsync(provider.Name, pacer.Interval, ct);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                return;
            }

            _slotDue = SlotIn(wait);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, ct);
            }
        }

        private async ValueTask<ProviderCall> CallAsync(CancellationToken ct)
        {
            SnapSendingHook record = async (id, token) =>
            {
                await journal.RecordAsync(op.Id, kind, provider.Name, id, time.GetUtcNow(), token);
                Started = true;
                if (pipelines.Pacer is { } pacer)
                {
                    // Spaced from the previous actual send (the permit was spaced from the previous permit). Waits
                    // inside the timeout guard, which the fence's lease covers; a guard that fires here reports the
                    // outcome unknown, which the id already on the trail lets a status query settle.
                    await WaitToSendAsync(pacer, token);
                }
            };
            if (kind == CallKind.Query)
            {
                var q = await client.QueryAsync(provider, ProviderRequests.BuildQuery(op), externalId, ct, record);
                return new ProviderCall(kind, q.Outcome, q.HttpStatus, q.Code, q.Body?.ResponseMessage, q.Transport, q.ExternalId, default, q.Latency, q.Error, Query: q.Body) { Refreshed = q.Refreshed };
            }

            if (op.Kind == OperationKind.Refund)
            {
                var r = await client.RefundAsync(provider, ProviderRequests.BuildRefund(provider, op), externalId, ct, record);
                return new ProviderCall(kind, r.Outcome, r.HttpStatus, r.Code, r.Body?.ResponseMessage, r.Transport, r.ExternalId, default, r.Latency, r.Error, Refund: r.Body) { Refreshed = r.Refreshed };
            }

            var c = await client.CancelAsync(provider, ProviderRequests.BuildCancel(op), externalId, ct, record);
            return new ProviderCall(kind, c.Outcome, c.HttpStatus, c.Code, c.Body?.ResponseMessage, c.Transport, c.ExternalId, default, c.Latency, c.Error, Cancel: c.Body) { Refreshed = c.Refreshed };
        }
    }
}
