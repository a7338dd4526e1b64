using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
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
    /// the pooled <see cref="RefundWorkerDbContext"/>, and a readiness check.
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
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder o, NpgsqlDataSource dataSource)
        => o.UseNpgsql(dataSource, npgsql => npgsql
                .MigrationsAssembly(typeof(RefundWorkerDbContext).Assembly.GetName().Name)
                .MigrationsHistoryTable(MigrationsHistoryTable))
            // Migrations are hand-written (EF Design is not available), so there is no model snapshot and EF 9+
            // would refuse to migrate with PendingModelChangesWarning. The model and the migrated schema are
            // compared by a test instead (PersistenceTests).
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
}
