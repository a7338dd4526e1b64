using System.Diagnostics.Metrics;
using Npgsql;
using RefundWorker.Snap;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Operations that wait on a provider this process has no configuration for (renamed or removed from
/// <c>Snap:Providers</c>) are deferred every few minutes and would only be caught by <c>Worker:MaxOperationAge</c>.
/// This says so at start and whenever the count changes, and exports it as the gauge
/// <c>refundworker.operations.unknown_provider</c> (tag <c>provider</c>) so an alert can fire long before.
/// </summary>
public sealed class UnknownProviderMonitor(NpgsqlDataSource dataSource, SnapProviderRegistry providers, TimeProvider time, ILogger<UnknownProviderMonitor> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private volatile IReadOnlyDictionary<string, long> _waiting = new Dictionary<string, long>();

    /// <summary>The last count of live operations per provider that is not configured here.</summary>
    public IReadOnlyDictionary<string, long> Waiting => _waiting;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The gauge lives as long as the Meter (process-wide); it reads the latest count of whichever monitor runs.
        WorkerTelemetry.Meter.CreateObservableGauge(
            "refundworker.operations.unknown_provider",
            () => _waiting.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("provider", p.Key))),
            description: "Live operations waiting on a provider that is not configured.");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogDebug(e, "Counting operations per provider failed; trying again in {Interval}", Interval);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(Interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Counts now (also used by tests).</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT provider, count(*) FROM operations WHERE state IN ('Pending', 'Sending', 'Reconciling') GROUP BY provider");
        var unknown = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                if (!providers.TryGet(name, out _))
                {
                    unknown[name] = reader.GetInt64(1);
                }
            }
        }

        var before = _waiting;
        foreach (var (name, count) in unknown)
        {
            if (!before.TryGetValue(name, out var was) || was != count)
            {
                logger.LogWarning(
                    "{Count} operations wait on provider {Provider}, which is not configured (Snap:Providers:{Provider}); they go to NeedsReview when Worker:MaxOperationAge passes",
                    count, name, name);
            }
        }

        _waiting = unknown;
    }
}
