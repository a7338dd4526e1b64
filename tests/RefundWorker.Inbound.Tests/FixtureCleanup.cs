using System.Net.Sockets;
using Npgsql;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// Cleanup of the inbound fixtures (dropping the test database, deleting the vhost) shares one PostgreSQL with every
/// other fixture of the run. A transient failure there (the server at max_connections, a connection that arrived
/// while DROP … FORCE ran, a restart) has nothing to do with what the tests proved, and a throwing fixture disposal
/// fails the run without failing a test. Such a failure leaves an <c>rw_test_*</c> database behind and is reported on
/// stderr; anything else still throws.
/// </summary>
public static class FixtureCleanup
{
    public static async Task RunAsync(string what, Func<Task> cleanup)
    {
        try
        {
            await cleanup();
        }
        catch (Exception e) when (IsTransient(e))
        {
            await Console.Error.WriteLineAsync($"Cleanup of {what} skipped after a transient error (left behind): {e.GetType().Name}: {e.Message}");
        }
    }

    public static bool IsTransient(Exception e) => e switch
    {
        // Too many connections, object in use, admin shutdown, cannot connect now, connection exceptions (08xxx).
        PostgresException pg => pg.IsTransient || pg.SqlState is "53300" or "55006" or "57P01" or "57P03" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        TimeoutException or SocketException => true,
        _ => false,
    };
}
