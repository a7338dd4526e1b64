using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using RefundWorker.Admin.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// The hand-written migration 20261201000100_Admin against the EF model of Admin/Persistence: every mapped column
/// exists with the model's type and nullability, every primary key has the model's columns, nothing unmapped exists.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class AdminSchemaTests : IAsyncLifetime
{
    private static readonly Type[] Entities =
        [typeof(DeadLetter), typeof(AuditEntry), typeof(AdminJob), typeof(ProviderPause), typeof(OperationResolution)];

    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync(EnvironmentServiceEndpoints.FromEnvironment());

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Should_create_every_column_of_the_admin_model_with_its_type_and_nullability()
    {
        await using var db = database.CreateContext();
        var mismatches = new List<string>();
        foreach (var clr in Entities)
        {
            var entity = db.Model.FindEntityType(clr)!;
            var table = entity.GetTableName()!;
            var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
            foreach (var property in entity.GetProperties())
            {
                var column = property.GetColumnName(store)!;
                var actual = await ColumnAsync(table, column);
                var expected = $"{property.GetColumnType(store)} {(property.IsColumnNullable(store) ? "NULL" : "NOT NULL")}";
                if (actual != expected)
                {
                    mismatches.Add($"{table}.{column}: model {expected}, database {actual ?? "missing"}");
                }
            }

            var key = string.Join(",", entity.FindPrimaryKey()!.Properties.Select(p => p.GetColumnName(store)));
            var actualKey = await PrimaryKeyAsync(table);
            if (key != actualKey)
            {
                mismatches.Add($"{table} primary key: model ({key}), database ({actualKey})");
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public async Task Should_create_no_admin_column_the_model_does_not_map()
    {
        await using var db = database.CreateContext();
        var extra = new List<string>();
        foreach (var clr in Entities)
        {
            var entity = db.Model.FindEntityType(clr)!;
            var table = entity.GetTableName()!;
            var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
            var mapped = entity.GetProperties().Select(p => p.GetColumnName(store)).ToHashSet();
            await using var cmd = database.DataSource.CreateCommand(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1");
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = table });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (!mapped.Contains(reader.GetString(0)))
                {
                    extra.Add($"{table}.{reader.GetString(0)}");
                }
            }
        }

        Assert.Empty(extra);
    }

    private async Task<string?> ColumnAsync(string table, string column)
    {
        await using var cmd = database.DataSource.CreateCommand(
            """
            SELECT format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE ' NULL' END
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relname = $1 AND a.attname = $2 AND NOT a.attisdropped
            """);
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = table });
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = column });
        return (string?)await cmd.ExecuteScalarAsync();
    }

    private async Task<string?> PrimaryKeyAsync(string table)
    {
        await using var cmd = database.DataSource.CreateCommand(
            """
            SELECT string_agg(a.attname::text, ',' ORDER BY array_position(i.indkey, a.attnum))
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
            WHERE c.relname = $1 AND i.indisprimary
            """);
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = table });
        return (string?)await cmd.ExecuteScalarAsync();
    }
}
