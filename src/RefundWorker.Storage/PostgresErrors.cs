using System.Text;
using Npgsql;

namespace RefundWorker.Persistence;

/// <summary>
/// Tells a PostgreSQL refusal of the data itself from a failure of the database: the first is the same on every
/// try (so retrying the same rows is pointless and the rows must be isolated), the second goes away (so the work is
/// retried as it is).
/// </summary>
public static class PostgresErrors
{
    /// <summary>
    /// True when PostgreSQL refused the data: SQLSTATE class 22 (data exception: value too long, NUL byte, numeric
    /// overflow, bad JSON), 23 (integrity constraint: a CHECK, NOT NULL, a unique index without ON CONFLICT) or 54
    /// (program limit: e.g. a JSON nested too deep); or Npgsql could not encode a string (an unpaired surrogate).
    /// Connection loss, timeouts, shutdowns (57P), too many connections (53300), deadlocks and serialization
    /// failures (40xxx) are not: they are worth retrying as they are.
    /// </summary>
    public static bool IsDataError(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException pg)
            {
                return pg.SqlState.StartsWith("22", StringComparison.Ordinal)
                    || pg.SqlState.StartsWith("23", StringComparison.Ordinal)
                    || pg.SqlState.StartsWith("54", StringComparison.Ordinal);
            }

            if (e is EncoderFallbackException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A short, storable reason: SQLSTATE, PostgreSQL's message and the constraint or column it names
    /// (never the row's values, which are what PostgreSQL refused).</summary>
    public static string Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException pg)
            {
                var s = new StringBuilder().Append(pg.SqlState).Append(": ").Append(pg.MessageText);
                if (pg.TableName is { } table && !pg.MessageText.Contains(table, StringComparison.Ordinal))
                {
                    s.Append(" (table ").Append(table).Append(')');
                }

                if (pg.ColumnName is { } column)
                {
                    s.Append(" (column ").Append(column).Append(')');
                }

                if (pg.ConstraintName is { } constraint && !pg.MessageText.Contains(constraint, StringComparison.Ordinal))
                {
                    s.Append(" (constraint ").Append(constraint).Append(')');
                }

                if (pg.Where is { } where && where.StartsWith("unnamed portal parameter", StringComparison.Ordinal))
                {
                    s.Append(" (").Append(where).Append(')');
                }

                return StorageText.Clean(s.ToString(), 500);
            }

            if (e is EncoderFallbackException)
            {
                return "text that cannot be encoded as UTF-8 (an unpaired UTF-16 surrogate)";
            }
        }

        return StorageText.Clean($"{exception.GetType().Name}: {exception.Message}", 500);
    }
}
