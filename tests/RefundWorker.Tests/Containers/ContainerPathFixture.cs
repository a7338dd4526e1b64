using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Containers;

/// <summary>
/// The usual worker fixture, but on a PostgreSQL and a RabbitMQ of its own in containers started by Testcontainers,
/// whatever the environment configures: this is the path a laptop with Docker and nothing else takes, run on purpose.
/// </summary>
public sealed class ContainerPathFixture : WorkerFixture, IAsyncLifetime
{
    private ContainerServiceEndpoints? _containers;

    /// <summary>When the fixture began, before any container existed.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public ContainerServiceEndpoints Containers => _containers ?? throw new InvalidOperationException("The containers are not started.");

    public new async Task InitializeAsync()
    {
        var (engine, reason) = await ContainerEngine.ProbeAsync();
        if (engine is null)
        {
            // xunit builds the fixture even when every test of the collection is skipped: without an engine, start
            // nothing, unless the run was told the engine must be there (see ContainerPathFactAttribute).
            if (string.Equals(Environment.GetEnvironmentVariable(ContainerPathFactAttribute.RequireVariable), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"The container path must run but {reason}.");
            }

            return;
        }

        _containers = await ContainerServiceEndpoints.StartAsync(engine);
        await base.InitializeAsync();
    }

    protected override Task<IServiceEndpoints> ResolveServicesAsync() => Task.FromResult<IServiceEndpoints>(Containers);

    public new async Task DisposeAsync()
    {
        try
        {
            if (_containers is not null)
            {
                await base.DisposeAsync();
            }
        }
        finally
        {
            if (_containers is not null)
            {
                await _containers.DisposeAsync();
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ContainerPathCollection : ICollectionFixture<ContainerPathFixture>
{
    public const string Name = "container-path";
}
