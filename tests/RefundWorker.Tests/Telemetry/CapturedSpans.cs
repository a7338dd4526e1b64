using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace RefundWorker.Tests.Telemetry;

/// <summary>An in-memory span exporter safe for concurrent ends (spans end on many threads at once).</summary>
public sealed class CapturedSpans : BaseProcessor<Activity>
{
    /// <summary>The test's stand-in for the order system: the trace a request is published in.</summary>
    public static readonly ActivitySource OrderSystem = new("RefundWorker.Tests.OrderSystem");

    private readonly ConcurrentQueue<Activity> _spans = new();

    public IReadOnlyList<Activity> All => [.. _spans];

    public override void OnEnd(Activity data)
    {
        if (data.Recorded)
        {
            _spans.Enqueue(data);
        }
    }
}
