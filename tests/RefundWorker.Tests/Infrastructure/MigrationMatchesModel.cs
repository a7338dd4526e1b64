using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// Compares a migrated database with the EF model of some entities: every mapped column with the model's type and
/// nullability, every primary key with the model's columns, and no column the model does not map. Hand-written
/// migrations have no model snapshot to catch a drift, so the schema tests do.
/// </summary>
public static class MigrationMatchesModel
{
    /// <summary>One line per column or primary key whose migration differs from the model.</summary>
    public static async Task<List<string>> MismatchesAsync(TestDatabase database, IEnumerable<Type> entities)
    {
        await using var db = database.CreateContext();
        var mismatches = new List<string>();
        foreach (var clr in entities)
        {
            var entity = db.Model.FindEntityType(clr)!;
            var table = entity.GetTableName()!;
            var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
            foreach (var property in entity.GetProperties())
            {
                var column = property.GetColumnName(store)!;
                var actual = await ColumnAsync(database, table, column);
                var expected = $"{property.GetColumnType(store)} {(property.IsColumnNullable(store) ? "NULL" : "NOT NULL")}";
                if (actual != expected)
                {
                    mismatches.Add($"{table}.{column}: model {expected}, database {actual ?? "missing"}");
                }
            }

            var key = string.Join(",", entity.FindPrimaryKey()!.Properties.Select(p => p.GetColumnName(store)));
            var actualKey = await PrimaryKeyAsync(database, table);
            if (key != actualKey)
            {
                mismatches.Add($"{table} primary key: model ({key}), database ({actualKey})");
            }
        }

        return mismatches;
    }

    /// <summary>Columns of the entities' tables that the model does not map.</summary>
    public static async Task<List<string>> UnmappedColumnsAsync(TestDatabase database, IEnumerable<Type> entities)
    {
        await using var db = database.CreateContext();
        var extra = new List<string>();
        foreach (var clr in entities)
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

        return extra;
    }

    private static async Task<string?> ColumnAsync(TestDatabase database, string table, string column)
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

    private static async Task<string?> PrimaryKeyAsync(TestDatabase database, string table)
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
