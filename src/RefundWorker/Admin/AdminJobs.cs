using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace RefundWorker.Admin;

/// <summary>
/// Bulk replays as jobs: the letters are fixed when the job starts (a letter that fails later is not swept in), then
/// replayed in batches of <c>Admin:ReplayBatchSize</c> in the background, with progress written to <c>admin_jobs</c>
/// after every batch. A job cut short by a stop is marked Failed with what it had done; running it again skips what was
/// replayed (unless forced).
/// </summary>
public sealed class AdminJobs(NpgsqlDataSource dataSource, DeadLetterReplayer replayer, AuditLog audit, IOptions<AdminOptions> options, TimeProvider time,
    IHostApplicationLifetime lifetime, ILogger<AdminJobs> logger) : IAsyncDisposable
{
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string FailedStatus = "Failed";

    private readonly ConcurrentDictionary<Guid, Task> _running = new();

    public async Task<Guid> StartReplayAsync(IReadOnlyList<Guid> ids, AdminCaller caller, string reason, bool force, object request, string? requestId, CancellationToken ct)
    {
        var id = Guid.CreateVersion7(time.GetUtcNow());
        var now = time.GetUtcNow();
        await using (var conn = await dataSource.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await using var cmd = new NpgsqlCommand(
                """
                INSERT INTO admin_jobs (id, kind, status, actor, reason, request, total, done, skipped, failed, created_at, updated_at)
                VALUES ($1, 'dead-letter.replay', 'Running', $2, $3, $4::jsonb, $5, 0, 0, 0, $6, $6)
                """, conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new NpgsqlParameter { Value = caller.Name, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = reason, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(request, DeadLetterAdmin.Json), NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = ids.Count, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await cmd.ExecuteNonQueryAsync(ct);
            await audit.AppendAsync(conn, tx, [new AuditRecord(caller, "dead-letters.replay-bulk", $"job:{id}", reason, AuditLog.Ok, 202, new { letters = ids.Count, force, request }, requestId)], ct);
            await tx.CommitAsync(ct);
        }

        var stopping = lifetime.ApplicationStopping;
        _running[id] = Task.Run(() => RunAsync(id, ids, caller, reason, force, requestId, stopping), CancellationToken.None);
        return id;
    }

    private async Task RunAsync(Guid id, IReadOnlyList<Guid> ids, AdminCaller caller, string reason, bool force, string? requestId, CancellationToken ct)
    {
        int done = 0, skipped = 0, failed = 0;
        try
        {
            foreach (var chunk in ids.Chunk(options.Value.ReplayBatchSize))
            {
                ct.ThrowIfCancellationRequested();
                var results = await replayer.ReplayAsync(chunk, caller, reason, force, body: null, id, requestId, ct);
                done += results.Count(r => r.Result == DeadLetterReplayer.Replayed);
                skipped += results.Count(r => r.Result == DeadLetterReplayer.Skipped);
                failed += results.Count(r => r.Result == DeadLetterReplayer.Failed);
                await ProgressAsync(id, done, skipped, failed, null, null, CancellationToken.None);
            }

            await ProgressAsync(id, done, skipped, failed, Completed, null, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Bulk replay job {JobId} stopped after {Done} replays", id, done);
            try
            {
                await ProgressAsync(id, done, skipped, failed, FailedStatus, e is OperationCanceledException ? "The worker stopped before the job ended." : e.GetType().Name + ": " + e.Message, CancellationToken.None);
            }
            catch (NpgsqlException inner)
            {
                logger.LogError(inner, "Could not record the end of job {JobId}", id);
            }
        }
        finally
        {
            _running.TryRemove(id, out _);
        }
    }

    private async Task ProgressAsync(Guid id, int done, int skipped, int failed, string? status, string? error, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            """
            UPDATE admin_jobs SET done = $2, skipped = $3, failed = $4, updated_at = $5,
                status = COALESCE($6, status), finished_at = CASE WHEN $6 IS NULL THEN NULL ELSE $5 END, error = $7
            WHERE id = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = done, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = skipped, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = failed, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<object?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, kind, status, actor, reason, request::text, total, done, skipped, failed, created_at, updated_at, finished_at, error FROM admin_jobs WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }

        return new
        {
            id = r.GetGuid(0),
            kind = r.GetString(1),
            status = r.GetString(2),
            actor = r.GetString(3),
            reason = r.GetString(4),
            request = JsonDocument.Parse(r.GetString(5)).RootElement,
            total = r.GetInt32(6),
            done = r.GetInt32(7),
            skipped = r.GetInt32(8),
            failed = r.GetInt32(9),
            createdAt = r.GetFieldValue<DateTimeOffset>(10),
            updatedAt = r.GetFieldValue<DateTimeOffset>(11),
            finishedAt = r.IsDBNull(12) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(12),
            error = r.IsDBNull(13) ? null : r.GetString(13),
        };
    }

    public async ValueTask DisposeAsync()
    {
        // Jobs watch ApplicationStopping; wait briefly for the batch in flight to commit.
        await Task.WhenAny(Task.WhenAll(_running.Values), Task.Delay(TimeSpan.FromSeconds(10)));
    }
}
