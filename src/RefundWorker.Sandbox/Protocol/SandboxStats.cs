using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace RefundWorker.Sandbox;

/// <summary>
/// Answers given, counted per provider, operation and outcome (the 7-digit responseCode, or <c>HTTP503</c>,
/// <c>ABORTED</c>, <c>HUNG</c>). Lets a benchmark see what the worker actually received.
/// </summary>
public sealed class SandboxStats
{
    private ConcurrentDictionary<(string Provider, SandboxOperation Operation, string Outcome), StrongBox<long>> _counts = new();

    /// <summary>How many answers of one kind were given.</summary>
    public long Count(string provider, SandboxOperation operation, string outcome)
        => Volatile.Read(ref _counts).TryGetValue((provider, operation, outcome), out var box) ? Interlocked.Read(ref box.Value) : 0;

    /// <summary>Every counter.</summary>
    public IReadOnlyList<StatsLine> Snapshot()
        => [.. Volatile.Read(ref _counts)
            .Select(kv => new StatsLine(kv.Key.Provider, kv.Key.Operation, kv.Key.Outcome, Interlocked.Read(ref kv.Value.Value)))
            .OrderBy(l => l.Provider, StringComparer.Ordinal).ThenBy(l => l.Operation).ThenBy(l => l.Outcome, StringComparer.Ordinal)];

    internal void Record(string provider, SandboxOperation operation, string outcome)
    {
        var box = Volatile.Read(ref _counts).GetOrAdd((provider, operation, outcome), static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
    }

    internal void Clear() => Volatile.Write(ref _counts, new());
}

/// <summary>One counter of <see cref="SandboxStats"/>.</summary>
public sealed record StatsLine(string Provider, SandboxOperation Operation, string Outcome, long Count);
