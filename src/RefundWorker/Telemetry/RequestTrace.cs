using System.Diagnostics;

namespace RefundWorker.Telemetry;

/// <summary>
/// The trace a request arrived in, kept on its operation row (<c>operations.trace_parent</c>) as a W3C
/// <c>traceparent</c> so that the spans of work done later can point back to it.
/// </summary>
/// <remarks>
/// A batch consumer accepts messages of many traces in one <c>refund.accept</c> span, so the trace of each request
/// is taken from its own message: MassTransit carries the sender's span in the <c>MT-Activity-Id</c> header (a
/// W3C id when the sender uses W3C ids, as .NET does by default); a plain <c>traceparent</c> header, as other
/// OpenTelemetry producers write, is read first. Without either, the span that accepts the batch stands in: the
/// link then leads to the accept rather than to the sender. Only version-00 traceparents are kept (55 characters,
/// the column's size); anything else is ignored, never stored half.
/// </remarks>
public static class RequestTrace
{
    /// <summary>The header MassTransit writes its sending span's id into.</summary>
    public const string MassTransitHeader = "MT-Activity-Id";

    /// <summary>The W3C Trace Context header.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The sender's traceparent in a message's transport headers (<c>traceparent</c>, else
    /// <c>MT-Activity-Id</c>), or null.</summary>
    public static string? OfHeaders(IDictionary<string, object?>? headers)
    {
        if (headers is null)
        {
            return null;
        }

        foreach (var header in (ReadOnlySpan<string>)[TraceParentHeader, MassTransitHeader])
        {
            if (headers.TryGetValue(header, out var value) && Normalize(Admin.AmqpHeaders.Text(value)) is { } parent)
            {
                return parent;
            }
        }

        return null;
    }

    /// <summary>
    /// Links the current span (an operator's admin request, say) to the request trace <paramref name="traceParent"/>
    /// names; nothing when there is no current span or no valid traceparent. An operator's reconcile or resolve is
    /// work on the refund resumed by hand: from its trace, the request's is one click away.
    /// </summary>
    /// <returns><paramref name="traceParent"/>, so that a reader can link and keep the value in one expression.</returns>
    public static string? LinkCurrent(string? traceParent)
    {
        if (Activity.Current is { } current && TryParse(traceParent, out var request))
        {
            current.AddLink(Link(request));
        }

        return traceParent;
    }

    /// <summary>A link to the request's context, marked as such.</summary>
    public static ActivityLink Link(ActivityContext request)
        => new(request, new ActivityTagsCollection { [LinkAttribute] = "request" });

    /// <summary>The attribute on a link that says what it points to.</summary>
    public const string LinkAttribute = "refundworker.link";

    /// <summary>The version-00 traceparent of <paramref name="context"/>.</summary>
    public static string Format(ActivityContext context)
        => $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{((context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";

    /// <summary>The context <paramref name="traceParent"/> names (remote: it was recorded by another span or
    /// process), or false for null, malformed or all-zero ids.</summary>
    public static bool TryParse(string? traceParent, out ActivityContext context)
    {
        context = default;
        return traceParent is { Length: 55 } && traceParent.StartsWith("00-", StringComparison.Ordinal)
            && ActivityContext.TryParse(traceParent, null, isRemote: true, out context)
            && context.TraceId != default && context.SpanId != default;
    }

    /// <summary>The storable form of <paramref name="value"/>, or null when it is no valid version-00 traceparent.</summary>
    public static string? Normalize(string? value)
        => TryParse(value?.Trim(), out var context) ? Format(context) : null;
}
