using Microsoft.EntityFrameworkCore;
using Npgsql;
using RefundWorker.Extensions;
using RefundWorker.Persistence;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>A fresh PostgreSQL database for one fixture, migrated with the real migrations, dropped at the end.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _admin;

    private TestDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<TestDatabase> CreateAsync(IServiceEndpoints services, bool migrate = true)
    {
        var name = "rw_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(services.PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        // Test collections run side by side on one server (max_connections 100): each pool stays small.
        var cs = new NpgsqlConnectionStringBuilder(services.PostgresAdmin) { Database = name, MaxPoolSize = 20 }.ConnectionString;
        var db = new TestDatabase(services.PostgresAdmin, name, cs);
        if (migrate)
        {
            await using var context = db.CreateContext();
            await context.Database.MigrateAsync();
        }

        return db;
    }

    public RefundWorkerDbContext CreateContext()
    {
        var options = new DbContextOptionsBuilder<RefundWorkerDbContext>();
        PersistenceExtensions.Configure(options, DataSource);
        return new RefundWorkerDbContext(options.Options);
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString));

        // The drop shares one server with every other fixture of the run: a moment at max_connections (53300) or a
        // connection arriving while FORCE terminates the others (55006) is transient. Retry before failing cleanup.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var admin = new NpgsqlConnection(_admin);
                await admin.OpenAsync();
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
                await cmd.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (attempt < 10)
            {
                await Console.Error.WriteLineAsync($"dropping test database {Name} failed ({e.SqlState}: {e.MessageText}); retrying");
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt));
            }
        }
    }
}
