using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RefundWorker.Availability;

/// <summary>
/// Readiness from the <see cref="DatabaseGate"/>'s last probe: healthy when PostgreSQL answers and the schema is
/// migrated; otherwise unhealthy with the reason and the endpoints it stopped, so <c>/health/ready</c> says why a
/// pod takes no requests (e.g. it started before the migration job).
/// </summary>
internal sealed class DatabaseGateHealthCheck(DatabaseGate gate, GatedReceiveEndpoints endpoints, Consumers.RequestQueueStates requestQueues) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = gate.Status;
        var data = new Dictionary<string, object>
        {
            ["state"] = status.State.ToString(),
            ["since"] = status.Since,
            ["latestMigration"] = DatabaseProbe.LatestMigration,
        };
        if (status.State == GateState.Open)
        {
            return Task.FromResult(HealthCheckResult.Healthy(status.Description, data));
        }

        var paused = requestQueues.Paused.Concat(endpoints.Paused).Order(StringComparer.Ordinal).ToList();
        var description = paused.Count == 0
            ? status.Description
            : $"{status.Description}; consuming paused on {string.Join(", ", paused)}";
        return Task.FromResult(HealthCheckResult.Unhealthy(description, data: data));
    }
}
