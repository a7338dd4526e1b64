using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RefundWorker.Extensions;
using RefundWorker.Inbound;
using RefundWorker.Persistence;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// Which failures an inbound request retries (<see cref="InboundRetry"/>). Exceptions are built as Npgsql raises them;
/// no database is involved: the classification itself is under test, the end-to-end retry is in
/// <see cref="CvsInquiryEndpointTests"/>.
/// </summary>
public sealed class InboundRetryTests : IDisposable
{
    private readonly NpgsqlDataSource dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Database=unused");
    private readonly RefundWorkerDbContext db;

    public InboundRetryTests()
    {
        var options = new DbContextOptionsBuilder<RefundWorkerDbContext>();
        PersistenceExtensions.Configure(options, dataSource);
        db = new RefundWorkerDbContext(options.Options);
    }

    [Theory]
    [InlineData(PostgresErrorCodes.TooManyConnections)]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    [InlineData(PostgresErrorCodes.DeadlockDetected)]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    public void Should_retry_when_PostgreSQL_reports_a_transient_state(string sqlState)
        => Assert.True(new InboundRetry(db, NullLogger.Instance).Retries(new PostgresException("x", "FATAL", "FATAL", sqlState)));

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.ForeignKeyViolation)]
    [InlineData(PostgresErrorCodes.UndefinedTable)]
    public void Should_not_retry_when_the_statement_itself_is_refused(string sqlState)
        => Assert.False(new InboundRetry(db, NullLogger.Instance).Retries(new PostgresException("x", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void Should_retry_when_the_contexts_own_strategy_wrapped_a_transient_failure()
        => Assert.True(new InboundRetry(db, NullLogger.Instance).Retries(new InvalidOperationException(
            "An exception has been raised that is likely due to a transient failure.",
            new PostgresException("x", "FATAL", "FATAL", PostgresErrorCodes.TooManyConnections))));

    [Fact]
    public void Should_not_retry_when_a_wrapped_failure_is_not_transient()
        => Assert.False(new InboundRetry(db, NullLogger.Instance).Retries(new InvalidOperationException(
            "x",
            new PostgresException("x", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation))));

    [Fact]
    public void Should_retry_when_the_pool_has_no_connection_within_its_timeout()
        => Assert.True(new InboundRetry(db, NullLogger.Instance).Retries(new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));

    [Fact]
    public void Should_retry_when_the_conflicting_inquiry_record_is_gone()
        => Assert.True(new InboundRetry(db, NullLogger.Instance).Retries(new InquiryRecordMissingException()));

    [Fact]
    public void Should_not_retry_when_the_failure_is_a_bug()
        => Assert.False(new InboundRetry(db, NullLogger.Instance).Retries(new InvalidOperationException("x")));

    public void Dispose()
    {
        db.Dispose();
        dataSource.Dispose();
    }
}
