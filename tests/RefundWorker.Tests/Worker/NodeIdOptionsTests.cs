using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RefundWorker.Operations;
using RefundWorker.Options;
using RefundWorker.Snap;

namespace RefundWorker.Tests.Worker;

/// <summary>One setting names a replica in its leases and its X-EXTERNAL-IDs; the older key still works.</summary>
public sealed class NodeIdOptionsTests
{
    [Fact]
    public void Should_name_the_replica_in_leases_and_external_ids_from_the_old_Snap_key_when_Worker_NodeId_is_unset()
    {
        var (lease, externalIds) = Resolve(new() { ["Snap:NodeId"] = "refundworker-7f9c" });

        Assert.Equal("refundworker-7f9c", lease);
        Assert.Equal("refundworker-7f9c", externalIds);
    }

    [Fact]
    public void Should_name_the_replica_in_external_ids_from_Worker_NodeId()
    {
        var (lease, externalIds) = Resolve(new() { ["Worker:NodeId"] = "refundworker-0" });

        Assert.Equal("refundworker-0", lease);
        Assert.Equal("refundworker-0", externalIds);
    }

    [Fact]
    public void Should_prefer_Worker_NodeId_over_the_old_Snap_key_when_both_are_set()
    {
        var (lease, externalIds) = Resolve(new() { ["Worker:NodeId"] = "refundworker-1", ["Snap:NodeId"] = "old-name" });

        Assert.Equal("refundworker-1", lease);
        Assert.Equal("refundworker-1", externalIds);
    }

    /// <summary>The lease owner (<see cref="WorkerNode"/>) and the node id the X-EXTERNAL-ID generator is built with.</summary>
    private static (string Lease, string? ExternalIds) Resolve(Dictionary<string, string?> values)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddOptions<WorkerOptions>().Bind(config.GetSection(WorkerOptions.SectionName));
        services.AddOptions<SnapOptions>().Bind(config.GetSection(SnapOptions.SectionName));
        services.AddNodeId(config);
        services.AddSingleton<WorkerNode>();
        using var sp = services.BuildServiceProvider();
        return (sp.GetRequiredService<WorkerNode>().Id, sp.GetRequiredService<IOptions<SnapOptions>>().Value.NodeId);
    }
}
