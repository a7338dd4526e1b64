using Microsoft.Extensions.Options;
using RefundWorker.Snap;

namespace RefundWorker.Options;

/// <summary>
/// One setting names this replica: <c>Worker:NodeId</c>, in its leases and in the X-EXTERNAL-IDs it generates.
/// <c>Snap:NodeId</c>, the older key for the X-EXTERNAL-ID half, is still read as an alias: when
/// <c>Worker:NodeId</c> is unset, it names the replica in both. When both are set, <c>Worker:NodeId</c> wins.
/// </summary>
public static class NodeIdOptions
{
    public const string Key = "Worker:NodeId";

    /// <summary>The older key, read only when <see cref="Key"/> is unset.</summary>
    public const string AliasKey = "Snap:NodeId";

    /// <summary>Resolves <see cref="WorkerOptions.NodeId"/> and <see cref="SnapOptions.NodeId"/> to one value.</summary>
    public static IServiceCollection AddNodeId(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>().PostConfigure(o => o.NodeId = Set(o.NodeId) ?? Set(configuration[AliasKey]));
        services.AddOptions<SnapOptions>().PostConfigure<IOptions<WorkerOptions>>((snap, worker) => snap.NodeId = Set(worker.Value.NodeId) ?? snap.NodeId);
        return services;
    }

    private static string? Set(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
