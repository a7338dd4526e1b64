using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Snap;
using RefundWorker.Telemetry;

namespace RefundWorker.Admin;

/// <summary>
/// One round trip for the console's overview: operations by provider and state, the NeedsReview count, New dead letters
/// by group, every configured provider with its pause and this replica's circuit breaker, and the outbox backlog.
/// </summary>
public sealed class AdminSummary(NpgsqlDataSource dataSource, SnapProviderRegistry providers, IOptions<AdminOptions> options, TimeProvider time)
{
    /// <summary>Final operations are counted over this window only: the live ones are what on-call acts on.</summary>
    public static readonly TimeSpan FinalWindow = TimeSpan.FromHours(24);

    public async Task<object> GetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var operations = new List<object>();
        var deadLetters = new List<object>();
        var paused = new Dictionary<string, (string Reason, string By, DateTimeOffset At)>(StringComparer.OrdinalIgnoreCase);
        long needsReview = 0, lettersNew = 0, outboxUnsent = 0, outboxParked = 0;
        DateTimeOffset? outboxOldest = null;

        await using var batch = dataSource.CreateBatch();
        // Live states come from the partial index on due operations (and NeedsReview is a small set of exceptions);
        // final states are limited to a recent window so the page stays cheap on a table of millions.
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT provider, state, count(*) FROM operations " +
            "WHERE state IN ('Pending', 'Sending', 'Reconciling', 'NeedsReview') OR updated_at >= $1 GROUP BY provider, state ORDER BY provider, state")
        { Parameters = { new NpgsqlParameter { Value = now - FinalWindow, NpgsqlDbType = NpgsqlDbType.TimestampTz } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            SELECT fingerprint, count(*), max(last_failed_at),
                   (array_agg(coalesce(exception_type, fault_reason, 'unknown') || ': ' || coalesce(exception_message, '') ORDER BY id DESC))[1],
                   (array_agg(original_queue ORDER BY id DESC))[1], sum(count(*)) OVER ()
            FROM dead_letters WHERE status = 'New' GROUP BY fingerprint ORDER BY count(*) DESC, max(last_failed_at) DESC LIMIT 50
            """));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT provider, reason, changed_by, changed_at FROM provider_pauses WHERE paused"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT count(*) FILTER (WHERE parked_at IS NULL), min(created_at) FILTER (WHERE parked_at IS NULL), " +
            "count(*) FILTER (WHERE parked_at IS NOT NULL) FROM outbox WHERE sent_at IS NULL"));
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var state = r.GetString(1);
                var count = r.GetInt64(2);
                if (state == "NeedsReview")
                {
                    needsReview += count;
                }

                operations.Add(new { provider = r.GetString(0), state, count });
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var reason = r.GetString(3);
                lettersNew = (long)r.GetDecimal(5);
                deadLetters.Add(new
                {
                    fingerprint = r.GetString(0),
                    count = r.GetInt64(1),
                    lastSeen = r.GetFieldValue<DateTimeOffset>(2),
                    sampleReason = reason.Length > 300 ? reason[..300] + "…" : reason,
                    queue = r.GetString(4),
                });
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                paused[r.GetString(0)] = (r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3));
            }

            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            outboxUnsent = r.GetInt64(0);
            outboxOldest = r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1);
            outboxParked = r.GetInt64(2);
        }

        var providerRows = providers.All
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p =>
            {
                var pause = paused.TryGetValue(p.Name, out var x) ? x : default;
                return new
                {
                    name = p.Name,
                    // The table is the truth across replicas; each replica's copy lags by Admin:PauseRefreshInterval.
                    paused = pause.By is not null,
                    pauseReason = pause.Reason,
                    pausedBy = pause.By,
                    pausedAt = pause.By is null ? (DateTimeOffset?)null : pause.At,
                    // Breakers live in each replica: this is the replica that answered.
                    circuit = CircuitStates.Get(p.Name) switch
                    {
                        CircuitStates.Open => "open",
                        CircuitStates.HalfOpen => "half-open",
                        CircuitStates.Closed => "closed",
                        _ => "unused",
                    },
                };
            })
            .ToList();

        return new
        {
            generatedAt = now,
            finalWindowHours = FinalWindow.TotalHours,
            operations,
            needsReview,
            deadLetterGroups = deadLetters,
            deadLettersNew = lettersNew,
            providers = providerRows,
            outbox = new
            {
                unsent = outboxUnsent,
                parked = outboxParked,
                oldestUnsentAgeSeconds = outboxOldest is { } o ? Math.Max(0, (now - o).TotalSeconds) : 0,
            },
            maxReplays = options.Value.MaxReplays,
        };
    }
}
