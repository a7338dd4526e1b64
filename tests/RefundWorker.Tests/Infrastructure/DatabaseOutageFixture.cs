using Microsoft.EntityFrameworkCore;
using Npgsql;
using RefundWorker.Extensions;
using RefundWorker.Persistence;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// The worker's usual surroundings (sandbox, a vhost, an outcome collector, the shared PostgreSQL for tests that need
/// an unmigrated database) plus a PostgreSQL of its own, migrated, that tests stop and start. Workers run as separate
/// processes, so a worker that crashed or restarted shows as an exited process.
/// </summary>
public sealed class DatabaseOutageFixture : WorkerFixture, IAsyncLifetime
{
    public PrivatePostgres Postgres { get; private set; } = null!;

    /// <summary>The migrated database on <see cref="Postgres"/> the workers use.</summary>
    public string PrivateDatabase { get; private set; } = null!;

    protected override bool StartsInProcessWorker => false;

    public new async Task InitializeAsync()
    {
        Postgres = await PrivatePostgres.StartAsync();
        PrivateDatabase = await Postgres.CreateDatabaseAsync("refundworker", maxPoolSize: 40);
        await using (var dataSource = NpgsqlDataSource.Create(PrivateDatabase))
        {
            var options = new DbContextOptionsBuilder<RefundWorkerDbContext>();
            PersistenceExtensions.Configure(options, dataSource);
            await using var db = new RefundWorkerDbContext(options.Options);
            await db.Database.MigrateAsync();
        }

        await base.InitializeAsync();
    }

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        s["ConnectionStrings:Postgres"] = PrivateDatabase;
        s["Worker:DatabaseGate:ProbeInterval"] = "00:00:01";
        return s;
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class DatabaseOutageCollection : ICollectionFixture<DatabaseOutageFixture>
{
    public const string Name = "database-outage";
}
