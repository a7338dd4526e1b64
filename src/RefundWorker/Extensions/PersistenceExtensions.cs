using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using RefundWorker.Availability;
using RefundWorker.Operations;
using RefundWorker.Options;
using RefundWorker.Outbox;
using RefundWorker.Persistence;

namespace RefundWorker.Extensions;

public static class PersistenceExtensions
{
    /// <summary>The EF migrations history table (snake_case like the rest).</summary>
    public const string MigrationsHistoryTable = "__ef_migrations_history";

    /// <summary>
    /// PostgreSQL: one <see cref="NpgsqlDataSource"/> (connection pool) shared by EF and the raw hot-path SQL,
    /// the pooled <see cref="RefundWorkerDbContext"/>, the <see cref="DatabaseGate"/> that pauses the request
    /// consumers while PostgreSQL is away or not migrated, and readiness checks for both (tagged for the whole
    /// worker and for the inbound SNAP endpoints, which need nothing else).
    /// </summary>
    public static IHostApplicationBuilder AddPersistence(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ConnectionStringsOptions>().BindConfiguration(ConnectionStringsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConnectionStringsOptions>, ConnectionStringsOptionsValidator>();
        services.AddSingleton(sp =>
        {
            var cs = sp.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.Postgres;
            var b = new NpgsqlDataSourceBuilder(cs);
            b.ConnectionStringBuilder.ApplicationName ??= "RefundWorker";
            return b.Build();
        });
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxCommitInterceptor>();
        services.AddDbContextPool<RefundWorkerDbContext>((sp, o) => Configure(o, sp.GetRequiredService<NpgsqlDataSource>())
            .AddInterceptors(sp.GetRequiredService<OutboxCommitInterceptor>()));
        services.AddSingleton<OperationStore>();
        services.AddHealthChecks()
            // SELECT 1 through the shared data source, within 3 s: a probe must not hang on a host that drops packets.
            .AddNpgSql(sp => sp.GetRequiredService<NpgsqlDataSource>(), name: "postgres", timeout: TimeSpan.FromSeconds(3),
                tags: [ServiceDefaultsExtensions.ReadyTag, ServiceDefaultsExtensions.InboundTag])
            .AddCheck<DatabaseGateHealthCheck>("database-gate", tags: [ServiceDefaultsExtensions.ReadyTag, ServiceDefaultsExtensions.InboundTag]);
        AddDatabaseGate(services);
        return builder;
    }

    /// <summary>The gate starts before the bus (hosted services start in registration order), so the first probe
    /// is usually done before the first request arrives.</summary>
    private static void AddDatabaseGate(IServiceCollection services)
    {
        services.AddOptions<DatabaseGateOptions>().BindConfiguration(DatabaseGateOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseGateOptions>, DatabaseGateOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DatabaseProbe>();
        services.AddSingleton<DatabaseGate>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseGate>());
        services.TryAddSingleton<Consumers.RequestQueueStates>();
        services.AddSingleton<GatedReceiveEndpoints>();
        services.AddHostedService(sp => sp.GetRequiredService<GatedReceiveEndpoints>());
    }

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder o, NpgsqlDataSource dataSource)
        => o.UseNpgsql(dataSource, npgsql => npgsql
                .MigrationsAssembly(typeof(RefundWorkerDbContext).Assembly.GetName().Name)
                .MigrationsHistoryTable(MigrationsHistoryTable))
            // The migrations before 20261211 were written by hand, without the target models EF compares; the model
            // snapshot (src/RefundWorker/Migrations/RefundWorkerDbContextModelSnapshot.cs) is checked against the model by a test
            // (ModelSnapshotTests) rather than by EF at migrate time, so a branch that adds a migration without the
            // snapshot still migrates and the test names the command that regenerates it.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
}
