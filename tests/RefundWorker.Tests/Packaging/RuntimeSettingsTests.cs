using System.Text.Json;
using RefundWorker.Options;

namespace RefundWorker.Tests.Packaging;

/// <summary>
/// The runtime settings the worker's measured CPU and throughput depend on (README "Performance") ship with it: they
/// live in <c>RefundWorker.runtimeconfig.json</c>, which <c>dotnet RefundWorker.dll</c> reads, and in the defaults
/// of <see cref="WorkerOptions"/>. A build that lost one would still pass every functional test.
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void Should_ship_workstation_gc_without_background_collection_without_dynamic_pgo_and_without_thread_pool_spinning()
    {
        // The referenced worker's runtimeconfig is copied next to the test assembly.
        var path = Path.Combine(AppContext.BaseDirectory, "RefundWorker.runtimeconfig.json");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean(), "System.GC.Server");
        Assert.False(properties.GetProperty("System.GC.Concurrent").GetBoolean(), "System.GC.Concurrent");
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean(), "System.Runtime.TieredPGO");
        Assert.Equal("0", properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").ToString());
    }

    [Fact]
    public void Should_leave_room_for_the_per_provider_limit_in_the_executors_concurrency()
    {
        // At 256, 200 ms calls were capped at 1,280/s while each provider's own limit was sized to 900.
        var options = new WorkerOptions();
        Assert.Equal(1024, options.Concurrency);
        Assert.True(options.Concurrency >= options.Defaults.Concurrency, "the executor's limit is below the per-provider upper bound");
    }
}
