namespace RefundWorker.Tests.Infrastructure;

/// <summary>Same services as <see cref="WorkerFixture"/>, but the tests start the worker as separate processes.</summary>
public sealed class ProcessFixture : WorkerFixture
{
    protected override bool StartsInProcessWorker => false;

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        // A killed process's work is picked up when its leases end: short here so the test does not wait long.
        s["Worker:LeaseDuration"] = "00:00:04";
        s["Worker:Defaults:CallTimeout"] = "00:00:03";
        return s;
    }
}

[CollectionDefinition(Name)]
public sealed class ProcessCollection : ICollectionFixture<ProcessFixture>
{
    public const string Name = "worker-processes";
}
