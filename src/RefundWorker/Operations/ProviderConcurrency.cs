using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using RefundWorker.Options;

namespace RefundWorker.Operations;

/// <summary>
/// The per-provider concurrency limit, sized by Little's law from what the provider's calls actually take: the
/// p95 of its last <see cref="Window"/> call latencies times the rate it should carry (<c>RateLimitPerSecond</c> when
/// the provider publishes one, else <c>TargetPerSecond</c>) times <c>ConcurrencyHeadroom</c>, between
/// <c>MinConcurrency</c> and <c>Concurrency</c> (the upper bound). A fixed limit sized for a fast provider caps a
/// slow one: 128 calls of 200 ms are 640 calls/s whatever the worker could do. With <c>SizeConcurrency</c> false
/// the limit is <c>Concurrency</c>, fixed. Until the first samples the limit is <c>Concurrency</c>.
/// </summary>
public sealed class ProviderConcurrency(IOptions<WorkerOptions> options)
{
    /// <summary>Latencies the p95 is taken over.</summary>
    public const int Window = 512;

    /// <summary>Samples between two resizes.</summary>
    public const int ResizeEvery = 64;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The provider's limiter, for its Polly pipeline.</summary>
    public AdaptiveConcurrencyLimiter LimiterFor(string provider) => EntryFor(provider).Limiter;

    /// <summary>The provider's current limit.</summary>
    public int LimitOf(string provider) => EntryFor(provider).Limiter.Limit;

    /// <summary>One call's latency (a call that reached the provider; calls held back are not samples).</summary>
    public void Record(string provider, TimeSpan latency)
    {
        var entry = EntryFor(provider);
        if (entry.Options.SizeConcurrency is false)
        {
            return;
        }

        double[]? snapshot = null;
        lock (entry)
        {
            entry.Samples[entry.Next] = latency.TotalMilliseconds;
            entry.Next = (entry.Next + 1) % Window;
            entry.Count = Math.Min(entry.Count + 1, Window);
            if (++entry.SinceResize >= ResizeEvery)
            {
                entry.SinceResize = 0;
                snapshot = entry.Samples[..entry.Count];
            }
        }

        if (snapshot is not null)
        {
            Array.Sort(snapshot);
            var p95 = TimeSpan.FromMilliseconds(snapshot[Math.Min(snapshot.Length - 1, (int)Math.Ceiling(0.95 * snapshot.Length) - 1)]);
            var o = entry.Options;
            var rate = o.RateLimitPerSecond ?? o.TargetPerSecond!.Value;
            entry.Limiter.Limit = ConcurrencySizing.Size(rate, p95, o.ConcurrencyHeadroom!.Value, o.MinConcurrency!.Value, o.Concurrency!.Value);
        }
    }

    private Entry EntryFor(string provider) => _entries.GetOrAdd(provider, name =>
    {
        var o = options.Value.For(name);
        return new Entry(o, new AdaptiveConcurrencyLimiter(o.Concurrency!.Value, queueLimit: 100_000));
    });

    private sealed class Entry(ProviderWorkerOptions options, AdaptiveConcurrencyLimiter limiter)
    {
        public ProviderWorkerOptions Options { get; } = options;
        public AdaptiveConcurrencyLimiter Limiter { get; } = limiter;
        public double[] Samples { get; } = new double[Window];
        public int Next { get; set; }
        public int Count { get; set; }
        public int SinceResize { get; set; }
    }
}
