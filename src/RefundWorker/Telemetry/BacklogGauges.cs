using System.Diagnostics.Metrics;
using Npgsql;
using RefundWorker.Admin.Persistence;
using RefundWorker.Persistence;
using RefundWorker.Snap;

namespace RefundWorker.Telemetry;

/// <summary>
/// Backlog gauges read from PostgreSQL: live operations by provider and state, the age of the oldest due operation
/// per provider, unsent and parked outbox rows and the age of the oldest unsent one, dead letters by status and the
/// NeedsReview count.
/// </summary>
/// <remarks>
/// A scrape must never reach the database: Prometheus (or a collector) may scrape every few seconds, from several
/// places, and every replica exports the same gauges. So each replica runs one set of queries per
/// <c>Telemetry:Backlog:Interval</c> (15 s by default) and the observable gauges in <see cref="WorkerTelemetry"/>
/// read the last snapshot. The values are the whole database's, not this replica's: aggregate them with <c>max</c>,
/// not <c>sum</c>. Every configured provider, state and dead-letter status is reported, with 0 when there is none,
/// so that a series exists from the first snapshot on and an alert on it does not depend on the first bad event.
/// </remarks>
public sealed class BacklogGauges(
    NpgsqlDataSource dataSource, SnapProviderRegistry providers, Operations.UnknownProviderMonitor unknownProviders, TimeProvider time,
    IConfiguration configuration, ILogger<BacklogGauges> logger)
    : BackgroundService
{
    public const string IntervalKey = "Telemetry:Backlog:Interval";
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    private static readonly string[] LiveStates = [nameof(OperationState.Pending), nameof(OperationState.Sending), nameof(OperationState.Reconciling)];

    private static volatile BacklogSnapshot s_latest = BacklogSnapshot.Empty;

    /// <summary>The last snapshot taken by any instance in this process (what the gauges export).</summary>
    public static BacklogSnapshot Latest => s_latest;

    public TimeSpan Interval { get; } = configuration.GetValue<TimeSpan?>(IntervalKey) ?? DefaultInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // The gauges keep their last values; a database outage shows in the health checks and the logs.
                logger.LogDebug(e, "Reading the backlog gauges failed; trying again in {Interval}", Interval);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(Interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads the backlog now, publishes it to the gauges and returns it (also used by tests).</summary>
    public async Task<BacklogSnapshot> RefreshAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var operations = new Dictionary<(string Provider, string State), long>();
        var oldestDue = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in providers.All)
        {
            foreach (var s in LiveStates)
            {
                operations[(p.Name, s)] = 0;
            }

            oldestDue[p.Name] = 0;
        }

        var deadLetters = DeadLetterStatus.All.ToDictionary(s => s, _ => 0L, StringComparer.Ordinal);
        long needsReview, outboxUnsent, outboxParked;
        double outboxOldestAge;

        // One round trip. The live-operation queries use the partial index on due operations and the outbox ones the
        // partial index on unsent rows; NeedsReview and dead letters are small tables of exceptions.
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT provider, state, count(*), min(next_attempt_at) FILTER (WHERE next_attempt_at <= $1) FROM operations " +
            "WHERE state IN ('Pending', 'Sending', 'Reconciling') GROUP BY provider, state")
        { Parameters = { new NpgsqlParameter { Value = now } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT count(*) FROM operations WHERE state = 'NeedsReview'"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT count(*) FILTER (WHERE parked_at IS NULL), min(created_at) FILTER (WHERE parked_at IS NULL), " +
            "count(*) FILTER (WHERE parked_at IS NOT NULL) FROM outbox WHERE sent_at IS NULL"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT status, count(*) FROM dead_letters GROUP BY status"));
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var provider = r.GetString(0);
                operations[(provider, r.GetString(1))] = r.GetInt64(2);
                if (!r.IsDBNull(3))
                {
                    var age = Math.Max(0, (now - r.GetFieldValue<DateTimeOffset>(3)).TotalSeconds);
                    oldestDue[provider] = Math.Max(oldestDue.GetValueOrDefault(provider), age);
                }
                else
                {
                    oldestDue.TryAdd(provider, 0);
                }
            }

            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            needsReview = r.GetInt64(0);

            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            outboxUnsent = r.GetInt64(0);
            outboxOldestAge = r.IsDBNull(1) ? 0 : Math.Max(0, (now - r.GetFieldValue<DateTimeOffset>(1)).TotalSeconds);
            outboxParked = r.GetInt64(2);

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                deadLetters[r.GetString(0)] = r.GetInt64(1);
            }
        }

        var snapshot = new BacklogSnapshot(now, operations, oldestDue, needsReview, outboxUnsent, outboxOldestAge, outboxParked, deadLetters);
        s_latest = snapshot;
        unknownProviders.Observe(operations);
        return snapshot;
    }

    internal static IEnumerable<Measurement<long>> OperationMeasurements()
        => Latest.Operations.Select(o => new Measurement<long>(o.Value, new("provider", o.Key.Provider), new("state", o.Key.State)));

    internal static IEnumerable<Measurement<double>> OldestDueMeasurements()
        => Latest.OldestDueAgeSeconds.Select(o => new Measurement<double>(o.Value, new KeyValuePair<string, object?>("provider", o.Key)));

    internal static IEnumerable<Measurement<long>> DeadLetterMeasurements()
        => Latest.DeadLetters.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("status", d.Key)));

    /// <summary>Nothing is reported before the first snapshot: a 0 then would read as "empty backlog".</summary>
    internal static IEnumerable<Measurement<T>> Scalar<T>(Func<BacklogSnapshot, T> value)
        where T : struct
        => Latest.TakenAt is null ? [] : [new Measurement<T>(value(Latest))];
}

/// <summary>One reading of the backlog (ages in seconds, at <see cref="TakenAt"/>).</summary>
public sealed record BacklogSnapshot(
    DateTimeOffset? TakenAt,
    IReadOnlyDictionary<(string Provider, string State), long> Operations,
    IReadOnlyDictionary<string, double> OldestDueAgeSeconds,
    long NeedsReview,
    long OutboxUnsent,
    double OutboxOldestUnsentAgeSeconds,
    long OutboxParked,
    IReadOnlyDictionary<string, long> DeadLetters)
{
    public static readonly BacklogSnapshot Empty = new(
        null, new Dictionary<(string, string), long>(), new Dictionary<string, double>(), 0, 0, 0, 0, new Dictionary<string, long>());
}
