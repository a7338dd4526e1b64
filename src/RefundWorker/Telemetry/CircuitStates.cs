using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace RefundWorker.Telemetry;

/// <summary>
/// The state of each provider's circuit breaker in this process, exported as the gauge
/// <c>refundworker.provider.circuit.state</c> (tag <c>provider</c>): 0 closed, 1 open, 2 half-open. Breakers are per
/// replica, so one replica's open circuit is one series with value 1; alert on <c>max by (provider)</c>.
/// </summary>
public static class CircuitStates
{
    public const int Closed = 0;
    public const int Open = 1;
    public const int HalfOpen = 2;

    private static readonly ConcurrentDictionary<string, int> States = new(StringComparer.Ordinal);

    public static void Set(string provider, int state) => States[provider] = state;

    /// <summary>A breaker that exists and has never opened is closed (reported from its first call on).</summary>
    public static void Track(string provider) => States.TryAdd(provider, Closed);

    public static int? Get(string provider) => States.TryGetValue(provider, out var s) ? s : null;

    internal static IEnumerable<Measurement<int>> Measurements()
        => States.Select(s => new Measurement<int>(s.Value, new KeyValuePair<string, object?>("provider", s.Key)));
}
