using System.Diagnostics;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>
/// The attempt trail written before the wire: every X-EXTERNAL-ID is appended to <c>attempts</c> (classification
/// <see cref="InFlight"/>) before the request that carries it is sent, so a crash between a call and its outcome
/// commit, or a token refresh that retried with a new id, still leaves every id the worker ever sent on record. The
/// outcome commit later fills in the answer on the same row (matched on operation + X-EXTERNAL-ID, the unique index
/// <c>ux_attempts_operation_external_id</c>: one X-EXTERNAL-ID may recur across operations on different Jakarta days).
/// <para>
/// Appends that arrive while the previous one is in flight share one statement, so under load a batch of calls costs
/// one round trip. An append that fails stops its call unsent (<see cref="AttemptNotRecordedException"/>).
/// </para>
/// </summary>
public sealed class AttemptJournal(NpgsqlDataSource dataSource, ILogger<AttemptJournal> logger) : BackgroundService
{
    /// <summary>The classification of a row whose answer was never recorded (the call may or may not have landed).</summary>
    public const string InFlight = "InFlight";

    private readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Appends one call about to be sent; returns once the row is committed.</summary>
    public async ValueTask RecordAsync(Guid operationId, CallKind kind, string provider, string externalId, DateTimeOffset at, CancellationToken ct)
    {
        var entry = new Entry(operationId, kind == CallKind.Send ? "send" : "query", provider, externalId, at, Activity.Current?.TraceId.ToHexString());
        await _queue.Writer.WriteAsync(entry, ct);
        using var registration = ct.Register(static e => ((Entry)e!).Done.TrySetCanceled(), entry);
        await entry.Done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Entry>();
        // Runs until the host disposes it: calls may still start while the executor drains at shutdown.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 1000 && _queue.Reader.TryRead(out var e))
            {
                batch.Add(e);
            }

            try
            {
                await InsertAsync(batch);
                foreach (var e in batch)
                {
                    e.Done.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(ex, "Recording {Count} provider calls before sending failed; they are not sent", batch.Count);
                foreach (var e in batch)
                {
                    e.Done.TrySetException(new AttemptNotRecordedException(ex));
                }
            }

            batch.Clear();
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    private async Task InsertAsync(List<Entry> batch)
    {
        // The number continues the operation's sequence; one operation has at most one call in flight (its lease).
        await using var cmd = dataSource.CreateCommand(
            $"""
            INSERT INTO attempts (operation_id, number, action, provider, external_id, requested_at, classification, latency_ms, trace_id)
            SELECT u.op, (SELECT coalesce(max(a.number), 0) + 1 FROM attempts a WHERE a.operation_id = u.op),
                   u.action, u.provider, u.external_id, u.at, '{InFlight}', 0, u.trace
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) AS u(op, action, provider, external_id, at, trace)
            ON CONFLICT (operation_id, external_id) DO NOTHING
            """);
        cmd.Parameters.Add(SqlArrays.Of(batch.Select(e => e.OperationId).ToArray(), NpgsqlDbType.Uuid));
        cmd.Parameters.Add(SqlArrays.Text(batch.Select(e => e.Action)));
        cmd.Parameters.Add(SqlArrays.Text(batch.Select(e => e.Provider)));
        cmd.Parameters.Add(SqlArrays.Text(batch.Select(e => e.ExternalId)));
        cmd.Parameters.Add(SqlArrays.Of(batch.Select(e => e.At).ToArray(), NpgsqlDbType.TimestampTz));
        cmd.Parameters.Add(SqlArrays.Text(batch.Select(e => e.TraceId)));
        await cmd.ExecuteNonQueryAsync();
    }

    private sealed record Entry(Guid OperationId, string Action, string Provider, string ExternalId, DateTimeOffset At, string? TraceId)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The attempt trail could not record a call, so the call was not sent.</summary>
public sealed class AttemptNotRecordedException : Exception
{
    public AttemptNotRecordedException()
        : base("The provider call could not be recorded before sending; it was not sent.")
    {
    }

    public AttemptNotRecordedException(Exception inner)
        : base("The provider call could not be recorded before sending; it was not sent.", inner)
    {
    }

    public AttemptNotRecordedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
