using Npgsql;
using NpgsqlTypes;

namespace RefundWorker.Operations;

/// <summary>Array parameters for the multi-row statements over <c>unnest</c>.</summary>
internal static class SqlArrays
{
    public static NpgsqlParameter Text(IEnumerable<string?> values)
        => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    public static NpgsqlParameter Of<T>(T[] values, NpgsqlDbType type)
        => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type };
}
