using Microsoft.EntityFrameworkCore;
using Npgsql;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Worker;

/// <summary>The hand-written migrations produce exactly the schema the EF model describes (there is no model
/// snapshot to catch a drift, EF Design being unavailable).</summary>
[Collection(WorkerCollection.Name)]
public sealed class PersistenceTests(WorkerFixture fx)
{
    [Theory]
    [InlineData("operations")]
    [InlineData("attempts")]
    [InlineData("outbox")]
    public async Task Should_have_every_mapped_column_with_its_type_and_nullability_when_migrated(string table)
    {
        await using var db = fx.Database.CreateContext();
        var entity = db.Model.GetEntityTypes().Single(e => e.GetTableName() == table);
        var actual = new Dictionary<string, (string Type, bool Nullable)>();
        await using (var cmd = fx.Database.DataSource.CreateCommand(
            "SELECT column_name, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull FROM information_schema.columns c " +
            "JOIN pg_attribute a ON a.attrelid = c.table_name::regclass AND a.attname = c.column_name WHERE c.table_name = $1"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = table });
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                actual[r.GetString(0)] = (r.GetString(1), r.GetBoolean(2));
            }
        }

        foreach (var p in entity.GetProperties())
        {
            var column = p.GetColumnName();
            Assert.True(actual.TryGetValue(column, out var found), $"{table}.{column} is mapped but not migrated");
            Assert.Equal(p.GetColumnType(), found.Type);
            Assert.Equal(p.IsNullable, found.Nullable);
        }

        Assert.Equal(entity.GetProperties().Count(), actual.Count);
    }

    [Theory]
    [InlineData("ux_operations_refund_key")]
    [InlineData("ux_operations_cancel_key")]
    [InlineData("ux_operations_external_id")]
    [InlineData("ux_operations_rejected_request")]
    [InlineData("ux_attempts_operation_external_id")]
    public async Task Should_carry_the_idempotency_rules_as_unique_indexes_when_migrated(string index)
    {
        var unique = await fx.Database.ScalarAsync<bool>("SELECT indisunique FROM pg_index WHERE indexrelid = $1::regclass", index);

        Assert.True(unique);
        await using var db = fx.Database.CreateContext();
        Assert.Contains(db.Model.GetEntityTypes().SelectMany(e => e.GetIndexes()), i => i.GetDatabaseName() == index && i.IsUnique);
    }

    [Theory]
    [InlineData("ux_operations_external_id")]
    [InlineData("ux_attempts_operation_external_id")]
    [InlineData("ix_attempts_external_id")]
    public async Task Should_index_the_columns_and_uniqueness_the_model_names_when_migrated(string index)
    {
        var migrated = await fx.Database.ScalarAsync<string>(
            "SELECT (CASE WHEN i.indisunique THEN 'unique ' ELSE '' END) || string_agg(a.attname, ',' ORDER BY k.ord) " +
            "FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) " +
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indexrelid = $1::regclass GROUP BY i.indisunique", index);

        await using var db = fx.Database.CreateContext();
        var modelled = db.Model.GetEntityTypes().SelectMany(e => e.GetIndexes()).Single(i => i.GetDatabaseName() == index);
        Assert.Equal((modelled.IsUnique ? "unique " : "") + string.Join(",", modelled.Properties.Select(p => p.GetColumnName())), migrated);
    }
}
