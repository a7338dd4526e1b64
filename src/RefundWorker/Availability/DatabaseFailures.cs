using System.Net.Sockets;
using Npgsql;

namespace RefundWorker.Availability;

/// <summary>
/// Which exceptions mean "PostgreSQL is away or not ready" rather than "this message is bad" or "this is a bug".
/// Only these make a consumer hold its messages and ask the <see cref="DatabaseGate"/> to check; everything else
/// propagates to MassTransit's retry and error queue as before.
/// </summary>
public static class DatabaseFailures
{
    /// <summary>
    /// True for failures to reach or use the server: no connection (refused, reset, timeout, pool exhausted),
    /// SQLSTATE classes 08 (connection), 53 (insufficient resources, e.g. 53300 too_many_connections), 57
    /// (operator intervention: admin or crash shutdown, 57P03 cannot_connect_now while it starts), 58 (system),
    /// 3D000 (no such database) and 28 (authentication: credentials rotated underneath us); a schema that is not
    /// migrated (42P01 undefined_table, 42703 undefined_column, 42883 undefined_function, 3F000 invalid schema);
    /// and serialization or deadlock losses (40001, 40P01), which another try resolves.
    /// </summary>
    public static bool IsRetryable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return IsRetryableState(pg.SqlState);
                case NpgsqlException npgsql:
                    // Npgsql raises NpgsqlException without a SQLSTATE for I/O: the server is not there or went away.
                    return npgsql.SqlState is null || IsRetryableState(npgsql.SqlState) || npgsql.IsTransient;
                case TimeoutException or SocketException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>True when the failure says the schema is older than this build (a pod that started before the
    /// migration job).</summary>
    public static bool IsSchemaMissing(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException pg)
            {
                return pg.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn
                    or PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.InvalidSchemaName;
            }
        }

        return false;
    }

    private static bool IsRetryableState(string state)
        => state.StartsWith("08", StringComparison.Ordinal)
            || state.StartsWith("53", StringComparison.Ordinal)
            || state.StartsWith("57", StringComparison.Ordinal)
            || state.StartsWith("58", StringComparison.Ordinal)
            || state.StartsWith("28", StringComparison.Ordinal)
            || state is PostgresErrorCodes.InvalidCatalogName
                or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
                or PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn
                or PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.InvalidSchemaName;
}
