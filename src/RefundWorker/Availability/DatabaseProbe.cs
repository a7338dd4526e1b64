using System.Reflection;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Options;
using Npgsql;
using RefundWorker.Extensions;
using RefundWorker.Options;
using RefundWorker.Persistence;

namespace RefundWorker.Availability;

/// <summary>What one probe found.</summary>
public enum ProbeOutcome
{
    /// <summary>PostgreSQL answers and the newest migration this build knows is applied.</summary>
    Ready,

    /// <summary>No answer: refused, reset, timed out, shutting down, authentication failed.</summary>
    Unreachable,

    /// <summary>PostgreSQL answers, but the schema is older than this build (the migration job has not run).</summary>
    NotMigrated,
}

/// <summary>The result of one probe, with a sentence for the log and for readiness.</summary>
public sealed record ProbeResult(ProbeOutcome Outcome, string Description)
{
    public bool IsReady => Outcome == ProbeOutcome.Ready;
}

/// <summary>
/// Asks PostgreSQL whether the worker can do its work: connect, then check that the EF migrations history holds the
/// newest migration compiled into this build. It uses a data source of its own with one connection, so a pool that
/// the consumers exhausted does not read as an outage, and the probe costs one round trip pair, not a connection,
/// every <see cref="DatabaseGateOptions.ProbeInterval"/>.
/// </summary>
public sealed class DatabaseProbe : IAsyncDisposable
{
    /// <summary>The newest migration compiled into this build (migrations/ at the repository root).</summary>
    public static readonly string LatestMigration = typeof(RefundWorkerDbContext).Assembly.GetTypes()
        .Select(t => t.GetCustomAttribute<MigrationAttribute>()?.Id)
        .OfType<string>()
        .Max(StringComparer.Ordinal) ?? throw new InvalidOperationException("No migration is compiled into the host.");

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _timeout;

    public DatabaseProbe(IOptions<ConnectionStringsOptions> connectionStrings, IOptions<DatabaseGateOptions> options)
    {
        _timeout = options.Value.ProbeTimeout;
        var builder = new NpgsqlDataSourceBuilder(connectionStrings.Value.Postgres);
        var cs = builder.ConnectionStringBuilder;
        cs.ApplicationName = (cs.ApplicationName ?? "RefundWorker") + " probe";
        cs.MaxPoolSize = 1;
        cs.MinPoolSize = 0;
        var seconds = Math.Max(1, (int)Math.Ceiling(_timeout.TotalSeconds));
        cs.Timeout = seconds;
        cs.CommandTimeout = seconds;
        _dataSource = builder.Build();
    }

    public async Task<ProbeResult> RunAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            await using var conn = await _dataSource.OpenConnectionAsync(timeout.Token);
            await using (var table = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", conn))
            {
                table.Parameters.Add(new NpgsqlParameter { Value = PersistenceExtensions.MigrationsHistoryTable });
                if (await table.ExecuteScalarAsync(timeout.Token) is not true)
                {
                    return NotMigrated($"the migrations history table {PersistenceExtensions.MigrationsHistoryTable} does not exist");
                }
            }

            await using var applied = new NpgsqlCommand(
                $"SELECT EXISTS (SELECT 1 FROM \"{PersistenceExtensions.MigrationsHistoryTable}\" WHERE \"MigrationId\" = $1)", conn);
            applied.Parameters.Add(new NpgsqlParameter { Value = LatestMigration });
            return await applied.ExecuteScalarAsync(timeout.Token) is true
                ? new ProbeResult(ProbeOutcome.Ready, $"PostgreSQL answers; schema at {LatestMigration}")
                : NotMigrated($"migration {LatestMigration} is not applied");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            _dataSource.Clear();
            return new ProbeResult(ProbeOutcome.Unreachable, $"PostgreSQL did not answer within {_timeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or IOException)
        {
            // A broken connection stays in the one-connection pool otherwise; the next probe opens a fresh one.
            _dataSource.Clear();
            return DatabaseFailures.IsSchemaMissing(e)
                ? NotMigrated(e.Message)
                : new ProbeResult(ProbeOutcome.Unreachable, "PostgreSQL is unreachable: " + Describe(e));
        }
    }

    private static ProbeResult NotMigrated(string why)
        => new(ProbeOutcome.NotMigrated, $"PostgreSQL answers but the schema is not migrated ({why}); run `RefundWorker migrate`");

    // Npgsql's messages name host and port, never the password.
    private static string Describe(Exception e)
        => e.InnerException is { } inner && e.Message.Contains("Exception while", StringComparison.Ordinal)
            ? $"{e.Message} {inner.Message}"
            : e.Message;

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
