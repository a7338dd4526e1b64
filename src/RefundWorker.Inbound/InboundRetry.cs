using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace RefundWorker.Inbound;

/// <summary>
/// The retry around every PostgreSQL unit of work of an inbound request. NICEPAY waits on the HTTP answer, and a
/// burst of inquiries can briefly find PostgreSQL or the pool out of connections (53300 too_many_connections,
/// "connection pool has been exhausted"), lose its connection, or lose a serialization/deadlock race (40001/40P01).
/// Npgsql classes those as transient; answering them 500xx00 would turn a moment's shortage into a refused store
/// payment. Each unit of work is idempotent (unique keys with ON CONFLICT), so running it again is safe, also after a
/// commit whose acknowledgement was lost: the second run finds the recorded answer and replays it.
/// </summary>
/// <remarks>
/// Npgsql's own detector decides what is transient, plus <see cref="InquiryRecordMissingException"/>. Few, short
/// retries (EF's backoff: at once, about 1 s, then <see cref="MaxDelay"/>; an attempt itself may wait up to the
/// pool's Timeout for a connection): the partner's request has a deadline, and a database that stays unavailable is
/// answered 500xx00 seconds later rather than never. User transactions run inside the strategy, see
/// https://learn.microsoft.com/ef/core/miscellaneous/connection-resiliency.
/// </remarks>
internal sealed class InboundRetry(DbContext db, ILogger logger)
    : NpgsqlRetryingExecutionStrategy(db, MaxRetries, MaxDelay, errorCodesToAdd: null)
{
    internal const int MaxRetries = 4;

    internal static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    /// <summary>Whether an attempt that failed with <paramref name="exception"/> is run again.</summary>
    internal bool Retries(Exception exception) => ShouldRetryOn(exception);

    protected override bool ShouldRetryOn(Exception? exception)
        => exception is InquiryRecordMissingException || base.ShouldRetryOn(Unwrap(exception));

    // Warning, not Error: the request may still succeed. Npgsql's messages carry no password, and nothing from the
    // request's headers reaches an exception here.
    protected override void OnRetry()
    {
        var last = ExceptionsEncountered[^1];
        logger.LogWarning(
            last,
            "Inbound database work failed transiently ({SqlState}); attempt {Attempt} of {Attempts} follows",
            (Unwrap(last) as NpgsqlException)?.SqlState ?? Unwrap(last)?.GetType().Name,
            ExceptionsEncountered.Count + 1,
            MaxRetries + 1);
    }

    // The context keeps the host's non-retrying NpgsqlExecutionStrategy, which EF's query pipeline runs inside this one:
    // it rethrows a transient failure wrapped in an InvalidOperationException ("likely due to a transient failure").
    private static Exception? Unwrap(Exception? exception)
        => exception is InvalidOperationException { InnerException: NpgsqlException inner } ? inner : exception;
}

/// <summary>
/// The <c>cvs_inquiries</c> insert conflicted (ON CONFLICT waited for a concurrent request with the same
/// inquiryRequestId, which committed), yet the row is not there to replay: it was removed in between. Nothing of the
/// attempt is committed; running it again records or replays the answer.
/// </summary>
internal sealed class InquiryRecordMissingException()
    : Exception("cvs_inquiries insert conflicted but the conflicting row is gone.");
