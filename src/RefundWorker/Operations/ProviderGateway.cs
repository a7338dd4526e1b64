using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Snap;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>What the worker asks a provider.</summary>
public enum CallKind
{
    /// <summary>The refund or cancel itself.</summary>
    Send,

    /// <summary>The status query about the original payment.</summary>
    Query,
}

/// <summary>One provider call as the state machine sees it. <see cref="NotSent"/>: the pipeline held it back
/// (breaker open, concurrency queue full, shutting down): nothing reached the provider, nothing is spent.</summary>
public sealed record ProviderCall(
    CallKind Kind,
    OutcomeClass Outcome,
    int? HttpStatus,
    ResponseCode? Code,
    string? ResponseMessage,
    TransportFailure? Transport,
    string ExternalId,
    DateTimeOffset RequestedAt,
    TimeSpan Latency,
    string? Error,
    bool NotSent = false,
    RefundResponse? Refund = null,
    CancelResponse? Cancel = null,
    QueryResponse? Query = null)
{
    public string? TraceId { get; init; }
}

/// <summary>
/// Calls providers through a per-provider Polly pipeline: circuit breaker (outermost: an open breaker costs no
/// permit and no attempt), a concurrency limiter, and a timeout guard around the SNAP client (which has its own
/// per-provider HTTP timeout). The concurrency limiter is System.Threading.RateLimiting's, wrapped as a Polly
/// strategy, because Polly.RateLimiting is not available from the package mirror.
/// </summary>
public sealed class ProviderGateway(SnapClient client, IOptions<WorkerOptions> options, TimeProvider time, ILogger<ProviderGateway> logger)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> _pipelines = new(StringComparer.OrdinalIgnoreCase);

    public async Task<ProviderCall> CallAsync(SnapProvider provider, Operation op, CallKind kind, string externalId, CancellationToken ct)
    {
        var requestedAt = time.GetUtcNow();
        using var activity = WorkerTelemetry.Source.StartActivity("operation.execute");
        activity?.SetTag("provider", provider.Name);
        activity?.SetTag("operation.kind", op.Kind.ToString());
        activity?.SetTag("operation.action", kind.ToString());
        var state = new CallState(client, provider, op, kind, externalId);
        ProviderCall call;
        try
        {
            call = await Pipeline(provider).ExecuteAsync(static (s, token) => s.RunAsync(token), state, ct);
        }
        catch (BrokenCircuitException)
        {
            call = NotSent(kind, externalId, requestedAt, "circuit breaker open");
        }
        catch (RateLimiterRejectedException)
        {
            call = NotSent(kind, externalId, requestedAt, "concurrency limit queue full");
        }
        catch (TimeoutRejectedException)
        {
            // The guard fired while the request may have been on the wire: unknown, never "not sent".
            call = new ProviderCall(kind, OutcomeClass.OutcomeUnknown, null, null, null, TransportFailure.Timeout, state.LastExternalId,
                requestedAt, time.GetUtcNow() - requestedAt, "call exceeded Worker CallTimeout");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !state.Started)
        {
            call = NotSent(kind, externalId, requestedAt, "shutting down");
        }

        call = call with { RequestedAt = requestedAt, TraceId = activity?.TraceId.ToHexString() };
        activity?.SetTag("snap.outcome", call.NotSent ? "NotSent" : call.Outcome.ToString());
        if (!call.NotSent)
        {
            var tags = new TagList { { "provider", provider.Name }, { "action", kind.ToString() }, { "outcome", call.Outcome.ToString() } };
            WorkerTelemetry.Attempts.Add(1, tags);
            WorkerTelemetry.AttemptDuration.Record(call.Latency.TotalMilliseconds, tags);
        }

        return call;
    }

    private static ProviderCall NotSent(CallKind kind, string externalId, DateTimeOffset at, string why)
        => new(kind, OutcomeClass.Retryable, null, null, null, null, externalId, at, TimeSpan.Zero, why, NotSent: true);

    private ResiliencePipeline Pipeline(SnapProvider provider) => _pipelines.GetOrAdd(provider.Name, name =>
    {
        var o = options.Value.For(name);
        var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = o.Concurrency!.Value,
            QueueLimit = 100_000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = o.BreakerFailureRatio!.Value,
                MinimumThroughput = o.BreakerMinimumThroughput!.Value,
                SamplingDuration = o.BreakerSamplingDuration!.Value,
                BreakDuration = o.BreakerBreakDuration!.Value,
                // The provider is in trouble when it answers "unknown" (5xx, timeouts) or "slow down"; a business
                // refusal (403xx14) is a healthy provider saying no.
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is TimeoutRejectedException
                    || args.Outcome.Result is ProviderCall { Outcome: OutcomeClass.OutcomeUnknown or OutcomeClass.Retryable, NotSent: false }),
                OnOpened = args =>
                {
                    logger.LogWarning("Circuit breaker of provider {Provider} opened for {BreakDuration}: due operations wait", name, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    logger.LogInformation("Circuit breaker of provider {Provider} closed", name);
                    return ValueTask.CompletedTask;
                },
            })
            .AddStrategy(_ => new ConcurrencyLimiterStrategy(limiter), new ConcurrencyLimiterStrategyOptions())
            .AddTimeout(o.CallTimeout!.Value)
            .Build();
    });

    private sealed class CallState(SnapClient client, SnapProvider provider, Operation op, CallKind kind, string externalId)
    {
        public bool Started { get; private set; }

        public string LastExternalId => externalId;

        public async ValueTask<ProviderCall> RunAsync(CancellationToken ct)
        {
            Started = true;
            if (kind == CallKind.Query)
            {
                var q = await client.QueryAsync(provider, ProviderRequests.BuildQuery(op), externalId, ct);
                return new ProviderCall(kind, q.Outcome, q.HttpStatus, q.Code, q.Body?.ResponseMessage, q.Transport, q.ExternalId, default, q.Latency, q.Error, Query: q.Body);
            }

            if (op.Kind == OperationKind.Refund)
            {
                var r = await client.RefundAsync(provider, ProviderRequests.BuildRefund(provider, op), externalId, ct);
                return new ProviderCall(kind, r.Outcome, r.HttpStatus, r.Code, r.Body?.ResponseMessage, r.Transport, r.ExternalId, default, r.Latency, r.Error, Refund: r.Body);
            }

            var c = await client.CancelAsync(provider, ProviderRequests.BuildCancel(op), externalId, ct);
            return new ProviderCall(kind, c.Outcome, c.HttpStatus, c.Code, c.Body?.ResponseMessage, c.Transport, c.ExternalId, default, c.Latency, c.Error, Cancel: c.Body);
        }
    }

    private sealed class ConcurrencyLimiterStrategyOptions : ResilienceStrategyOptions
    {
        public ConcurrencyLimiterStrategyOptions() => Name = "ConcurrencyLimiter";
    }

    /// <summary>Holds a permit of <see cref="ConcurrencyLimiter"/> for the duration of the call.</summary>
    private sealed class ConcurrencyLimiterStrategy(ConcurrencyLimiter limiter) : ResilienceStrategy
    {
        protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
        {
            using var lease = await limiter.AcquireAsync(1, context.CancellationToken);
            if (!lease.IsAcquired)
            {
                return Outcome.FromException<TResult>(new RateLimiterRejectedException());
            }

            return await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        }
    }
}

/// <summary>The concurrency limiter refused a permit (its queue is full).</summary>
public sealed class RateLimiterRejectedException : Exception
{
    public RateLimiterRejectedException()
        : base("The provider's concurrency limit queue is full.")
    {
    }

    public RateLimiterRejectedException(string message)
        : base(message)
    {
    }

    public RateLimiterRejectedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
