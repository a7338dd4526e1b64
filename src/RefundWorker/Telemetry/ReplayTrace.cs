using System.Diagnostics;

namespace RefundWorker.Telemetry;

/// <summary>
/// The <c>dead-letter.replay</c> span: an operator re-publishing one dead letter. It is a child of the operator's admin
/// request (or bulk job) and carries a link to the trace the letter was first sent in, read from the letter's own
/// headers (<c>traceparent</c>, else MassTransit's <c>MT-Activity-Id</c>). The replayed message then carries this
/// span's context instead of the original's, so the work it causes (accept, provider calls, outcome) is a trace of
/// its own under the operator's action, and the first failure is one click away through the link.
/// </summary>
public static class ReplayTrace
{
    public const string Span = "dead-letter.replay";

    /// <summary>
    /// Starts the span for replay <paramref name="replayNumber"/> of letter <paramref name="letterId"/> and points the
    /// outgoing <paramref name="headers"/> at it; null (headers untouched) when nobody listens.
    /// </summary>
    public static Activity? Start(Guid letterId, int replayNumber, string queue, string messageId, IDictionary<string, object?> headers)
    {
        var original = RequestTrace.Normalize(Text(headers, RequestTrace.TraceParentHeader)) ?? RequestTrace.Normalize(Text(headers, RequestTrace.MassTransitHeader));
        var links = RequestTrace.TryParse(original, out var first) ? new[] { RequestTrace.Link(first) } : null;
        var span = WorkerTelemetry.Source.StartActivity(Span, ActivityKind.Producer, default(ActivityContext), links: links);
        if (span is null)
        {
            return null;
        }

        span.SetTag("messaging.system", "rabbitmq");
        span.SetTag("messaging.operation.type", "send");
        span.SetTag("messaging.destination.name", queue);
        span.SetTag("messaging.message.id", messageId);
        span.SetTag("refundworker.dead_letter_id", letterId.ToString());
        span.SetTag("refundworker.replay_number", replayNumber);
        var own = RequestTrace.Format(span.Context);
        headers[RequestTrace.TraceParentHeader] = own;
        headers[RequestTrace.MassTransitHeader] = own;
        headers.Remove("tracestate");
        return span;
    }

    private static string? Text(IDictionary<string, object?> headers, string name)
        => headers.TryGetValue(name, out var v) ? v as string : null;
}
