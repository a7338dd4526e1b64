using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RefundWorker.Consumers;

public enum RequestQueueState
{
    Connecting,
    Consuming,

    /// <summary>Stopped by the database gate; consuming starts again when PostgreSQL is back.</summary>
    Paused,
    Disconnected,
    Stopped,
}

/// <summary>What each request queue consumer is doing, for readiness and the gate's report.</summary>
public sealed class RequestQueueStates
{
    private readonly ConcurrentDictionary<string, (RequestQueueState State, string Description)> _states = new(StringComparer.Ordinal);

    public void Set(string queue, RequestQueueState state, string description) => _states[queue] = (state, description);

    public IReadOnlyDictionary<string, (RequestQueueState State, string Description)> All
        => _states.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Queues the database gate paused, for readiness.</summary>
    public IReadOnlyList<string> Paused => [.. _states.Where(kv => kv.Value.State == RequestQueueState.Paused).Select(kv => kv.Key).Order(StringComparer.Ordinal)];
}

/// <summary>
/// Readiness of the request queues: each consumer is consuming (or paused by the database gate, which its own check
/// reports). Unhealthy while one is connecting or has lost RabbitMQ, with the reason.
/// </summary>
internal sealed class RequestQueuesHealthCheck(RequestQueueStates states) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var all = states.All;
        var data = all.ToDictionary(kv => kv.Key, kv => (object)kv.Value.State.ToString(), StringComparer.Ordinal);
        var down = all.Where(kv => kv.Value.State is not (RequestQueueState.Consuming or RequestQueueState.Paused))
            .Select(kv => $"{kv.Key}: {kv.Value.State} ({kv.Value.Description})").Order(StringComparer.Ordinal).ToList();
        return Task.FromResult(all.Count == 0
            ? HealthCheckResult.Unhealthy("the request queue consumers have not started", data: data)
            : down.Count == 0
                ? HealthCheckResult.Healthy("consuming the request queues", data)
                : HealthCheckResult.Unhealthy(string.Join("; ", down), data: data));
    }
}
