using System.Diagnostics.Metrics;
using RefundWorker.Snap;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Operations that wait on a provider this process has no configuration for (renamed or removed from
/// <c>Snap:Providers</c>) are deferred every few minutes and would only be caught by <c>Worker:MaxOperationAge</c>.
/// This says so at start and whenever the count changes, and exports it as the gauge
/// <c>refundworker.operations.unknown_provider</c> (tag <c>provider</c>) so an alert can fire long before. It reads
/// the live-operation counts <see cref="BacklogGauges"/> already takes, so it costs no query of its own.
/// </summary>
public sealed class UnknownProviderMonitor
{
    private readonly SnapProviderRegistry _providers;
    private readonly ILogger<UnknownProviderMonitor> _logger;
    private volatile IReadOnlyDictionary<string, long> _waiting = new Dictionary<string, long>();

    public UnknownProviderMonitor(SnapProviderRegistry providers, ILogger<UnknownProviderMonitor> logger)
    {
        _providers = providers;
        _logger = logger;
        // The gauge lives as long as the Meter (process-wide); it reads the latest count of this monitor.
        WorkerTelemetry.Meter.CreateObservableGauge(
            "refundworker.operations.unknown_provider",
            () => _waiting.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("provider", p.Key))),
            description: "Live operations waiting on a provider that is not configured.");
    }

    /// <summary>The last count of live operations per provider that is not configured here.</summary>
    public IReadOnlyDictionary<string, long> Waiting => _waiting;

    /// <summary>Takes a count of live operations by provider and state (from the backlog snapshot).</summary>
    public void Observe(IReadOnlyDictionary<(string Provider, string State), long> liveOperations)
    {
        var unknown = liveOperations
            .Where(o => o.Value > 0 && !_providers.TryGet(o.Key.Provider, out _))
            .GroupBy(o => o.Key.Provider, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(o => o.Value), StringComparer.Ordinal);
        var before = _waiting;
        foreach (var (name, count) in unknown)
        {
            if (!before.TryGetValue(name, out var was) || was != count)
            {
                _logger.LogWarning(
                    "{Count} operations wait on provider {Provider}, which is not configured (Snap:Providers:{Provider}); they go to NeedsReview when Worker:MaxOperationAge passes",
                    count, name, name);
            }
        }

        _waiting = unknown;
    }
}
