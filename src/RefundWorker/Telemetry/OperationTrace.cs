using System.Diagnostics;
using RefundWorker.Operations;
using RefundWorker.Persistence;

namespace RefundWorker.Telemetry;

/// <summary>
/// The <c>operation.step</c> span: one step of the executor for one operation (a send, a query, or a query then a
/// send), the parent of the step's <c>operation.execute</c> spans and of its database and HTTP spans.
/// </summary>
/// <remarks>
/// The first step after the accept runs while the request is fresh, so it belongs to the request's trace (a child
/// of the request's recorded context). Work resumed later, claimed back from PostgreSQL by the scheduler (a retry
/// after its backoff, a reconciliation step, an operation whose holder died, one an operator sent to
/// reconciliation), starts a trace of its own instead, with an <see cref="ActivityLink"/> to the request's context:
/// a trace that lasted for the hours of a retry schedule would be unreadable, and the link still puts the whole
/// story of one refund one click apart. <c>refundworker.resumed</c> says why the step runs.
/// </remarks>
public static class OperationTrace
{
    public const string StepSpan = "operation.step";

    /// <summary>Why resumed work runs (the <c>refundworker.resumed</c> attribute).</summary>
    public static class Resumed
    {
        /// <summary>A send whose backoff ended (or that was held back: breaker, limiter, pause).</summary>
        public const string Retry = "retry";

        /// <summary>A reconciliation step whose time came (or an operator's reconcile).</summary>
        public const string Reconcile = "reconcile";

        /// <summary>An operation left in flight by a holder whose lease expired (a crash, a lost database).</summary>
        public const string LeaseExpired = "lease_expired";
    }

    /// <summary>The span of one executor step for <paramref name="item"/>; null when nobody listens.</summary>
    public static Activity? StartStep(WorkItem item)
    {
        var op = item.Op;
        var hasRequest = RequestTrace.TryParse(op.TraceParent, out var request);
        Activity? step;
        if (item.ResumedFrom is { } from)
        {
            // A new root: a default parent context means "the ambient span", so there must be none. The executor's
            // work loop has none; this only guards a caller that has one (its span is not ended, only left).
            Activity.Current = null;
            step = WorkerTelemetry.Source.StartActivity(StepSpan, ActivityKind.Internal, default(ActivityContext),
                links: hasRequest ? [RequestTrace.Link(request)] : null);

            step?.SetTag("refundworker.resumed", from switch
            {
                OperationState.Sending => Resumed.LeaseExpired,
                OperationState.Reconciling => Resumed.Reconcile,
                _ => item.Mode == WorkMode.Send ? Resumed.Retry : Resumed.Reconcile,
            });
        }
        else
        {
            step = hasRequest
                ? WorkerTelemetry.Source.StartActivity(StepSpan, ActivityKind.Internal, request)
                : WorkerTelemetry.Source.StartActivity(StepSpan, ActivityKind.Internal);
        }

        if (step is null)
        {
            return null;
        }

        step.SetTag("refundworker.operation_id", op.Id.ToString());
        step.SetTag("refundworker.request_id", op.RequestId.ToString());
        step.SetTag("refundworker.provider", op.Provider);
        step.SetTag("refundworker.kind", op.Kind.ToString());
        step.SetTag("refundworker.mode", item.Mode.ToString());
        step.SetTag("refundworker.partner_refund_no", op.PartnerRefundNo);
        step.SetTag("refundworker.attempts", op.Attempts);
        step.SetTag("refundworker.queries", op.Queries);
        return step;
    }
}
