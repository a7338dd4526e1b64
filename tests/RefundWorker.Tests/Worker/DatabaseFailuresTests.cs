using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RefundWorker.Availability;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// Which failures make a consumer hold its messages for the database gate (<see cref="DatabaseFailures"/>) and which
/// still go to MassTransit's retry and error queue. Exceptions are built as Npgsql and EF raise them; no I/O.
/// </summary>
public sealed class DatabaseFailuresTests
{
    public static TheoryData<Exception> Outages => new()
    {
        new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
        new NpgsqlException("Exception while reading from stream", new EndOfStreamException()),
        new NpgsqlException("The connection pool has been exhausted", new TimeoutException()),
        Postgres(PostgresErrorCodes.AdminShutdown),
        Postgres(PostgresErrorCodes.CannotConnectNow),
        Postgres(PostgresErrorCodes.TooManyConnections),
        Postgres(PostgresErrorCodes.InvalidPassword),
        Postgres(PostgresErrorCodes.InvalidCatalogName),
        Postgres(PostgresErrorCodes.SerializationFailure),
        Postgres(PostgresErrorCodes.DeadlockDetected),
        Postgres(PostgresErrorCodes.UndefinedTable),
        // EF wraps provider failures: the cause is found underneath.
        new DbUpdateException("An error occurred while saving the entity changes.", Postgres(PostgresErrorCodes.AdminShutdown)),
        new InvalidOperationException("An exception has been raised that is likely due to a transient failure.", Postgres(PostgresErrorCodes.CannotConnectNow)),
    };

    public static TheoryData<Exception> NotOutages => new()
    {
        Postgres(PostgresErrorCodes.UniqueViolation),
        Postgres(PostgresErrorCodes.CheckViolation),
        Postgres(PostgresErrorCodes.InvalidTextRepresentation),
        new DbUpdateException("An error occurred while saving the entity changes.", Postgres(PostgresErrorCodes.ForeignKeyViolation)),
        new InvalidOperationException("Request 1 was neither inserted nor matched an existing operation."),
        new System.Text.Json.JsonException("bad payload"),
    };

    [Theory]
    [MemberData(nameof(Outages))]
    public void Should_hold_the_message_when_PostgreSQL_is_away_or_not_ready(Exception failure)
        => Assert.True(DatabaseFailures.IsRetryable(failure));

    [Theory]
    [MemberData(nameof(NotOutages))]
    public void Should_let_the_failure_fault_when_it_is_not_about_availability(Exception failure)
        => Assert.False(DatabaseFailures.IsRetryable(failure));

    [Fact]
    public void Should_tell_a_missing_schema_from_an_outage_when_classifying()
    {
        Assert.True(DatabaseFailures.IsSchemaMissing(Postgres(PostgresErrorCodes.UndefinedTable)));
        Assert.False(DatabaseFailures.IsSchemaMissing(Postgres(PostgresErrorCodes.AdminShutdown)));
        Assert.False(DatabaseFailures.IsSchemaMissing(new NpgsqlException("Failed to connect", new SocketException())));
    }

    private static PostgresException Postgres(string sqlState) => new("x", "ERROR", "ERROR", sqlState);
}
