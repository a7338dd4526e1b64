using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;
using RefundWorker.Extensions;

namespace RefundWorker.Persistence;

/// <summary>
/// How <c>dotnet ef</c> builds the context (<c>migrations add</c>, <c>migrations script</c>, <c>dbcontext info</c>).
/// The host's entry point is a command line, not a plain host builder, so the tools cannot find the context
/// through it. Scaffolding a migration compares the model with the snapshot and needs no server: the connection
/// string is <c>ConnectionStrings__Postgres</c> when set (for <c>database update</c>), a placeholder otherwise.
/// </summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<RefundWorkerDbContext>
{
    public RefundWorkerDbContext CreateDbContext(string[] args)
    {
        var cs = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 } value
            ? value
            : "Host=localhost;Database=refundworker";
        var dataSource = new NpgsqlDataSourceBuilder(cs).Build();
        var options = new DbContextOptionsBuilder<RefundWorkerDbContext>();
        PersistenceExtensions.Configure(options, dataSource);
        return new RefundWorkerDbContext(options.Options);
    }
}
