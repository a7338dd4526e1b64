namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// The worker's usual surroundings (sandbox, a fresh database on the shared PostgreSQL) plus a RabbitMQ node of its
/// own that tests stop and start, with an order system (publisher and outcome subscriber) on that node. Workers run as
/// separate processes pointed at the private node.
/// </summary>
public sealed class BrokerRestartFixture : WorkerFixture, IAsyncLifetime
{
    public PrivateRabbitMq Broker { get; private set; } = null!;

    /// <summary>The order system on <see cref="Broker"/>: publishes requests, records outcomes.</summary>
    public OutcomeCollector OrderSystem { get; private set; } = null!;

    protected override bool StartsInProcessWorker => false;

    public new async Task InitializeAsync()
    {
        Broker = await PrivateRabbitMq.StartAsync();
        await base.InitializeAsync();
        OrderSystem = await OutcomeCollector.StartAsync(Broker.Amqp);
    }

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        s["ConnectionStrings:RabbitMq"] = Broker.Amqp.ToString();
        return s;
    }

    public new async Task DisposeAsync()
    {
        await OrderSystem.DisposeAsync();
        await base.DisposeAsync();
        await Broker.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerRestartCollection : ICollectionFixture<BrokerRestartFixture>
{
    public const string Name = "broker-restart";
}
