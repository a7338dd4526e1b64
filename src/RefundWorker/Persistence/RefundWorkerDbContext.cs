using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using RefundWorker.Inbound.Persistence;

namespace RefundWorker.Persistence;

/// <summary>
/// The one DbContext of the host. Every <c>IEntityTypeConfiguration</c> in this assembly is applied, so a feature
/// adds a table by adding a configuration class and a migration; the inbound tables' configurations live in
/// RefundWorker.Inbound and are applied by <see cref="InboundModel.Configure"/>. Names are snake_case.
/// EF serves the model, the migrations and cold paths; the hot path writes with raw Npgsql batches
/// (see Operations/OperationStore.cs).
/// </summary>
public sealed class RefundWorkerDbContext(DbContextOptions<RefundWorkerDbContext> options) : DbContext(options)
{
    public DbSet<Operation> Operations => Set<Operation>();

    public DbSet<Attempt> Attempts => Set<Attempt>();

    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    public DbSet<RepeatedRequest> RepeatedRequests => Set<RepeatedRequest>();

    public DbSet<ProviderPacing> ProviderPacing => Set<ProviderPacing>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(RefundWorkerDbContext).Assembly);
        InboundModel.Configure(modelBuilder);
        ApplySnakeCase(modelBuilder);
    }

    /// <summary>
    /// snake_case for every table, column, key and index not named explicitly (EFCore.NamingConventions is not
    /// available from the package mirror).
    /// </summary>
    private static void ApplySnakeCase(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            if (entity.FindAnnotation(RelationalAnnotationNames.TableName) is null && entity.GetTableName() is { } table)
            {
                entity.SetTableName(ToSnakeCase(table));
            }

            foreach (var property in entity.GetProperties())
            {
                if (property.FindAnnotation(RelationalAnnotationNames.ColumnName) is null)
                {
                    property.SetColumnName(ToSnakeCase(property.Name));
                }
            }

            var tableName = entity.GetTableName() ?? string.Empty;
            foreach (var key in entity.GetKeys())
            {
                key.SetName(key.IsPrimaryKey() ? $"pk_{tableName}" : $"ak_{tableName}_{string.Join("_", key.Properties.Select(p => p.GetColumnName()))}");
            }

            foreach (var fk in entity.GetForeignKeys())
            {
                fk.SetConstraintName($"fk_{tableName}_{fk.PrincipalEntityType.GetTableName()}_{string.Join("_", fk.Properties.Select(p => p.GetColumnName()))}");
            }

            foreach (var index in entity.GetIndexes())
            {
                if (index.FindAnnotation(RelationalAnnotationNames.Name) is null)
                {
                    index.SetDatabaseName($"ix_{tableName}_{string.Join("_", index.Properties.Select(p => p.GetColumnName()))}");
                }
            }
        }
    }

    public static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
