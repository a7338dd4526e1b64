using Microsoft.Extensions.Options;
using RefundWorker.Options;

namespace RefundWorker.Operations;

/// <summary>This process's identity in leases (informational: fencing uses the per-claim lease token).</summary>
public sealed class WorkerNode(IOptions<WorkerOptions> options)
{
    public string Id { get; } = string.IsNullOrWhiteSpace(options.Value.NodeId)
        ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}"
        : options.Value.NodeId!;
}
