using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using RefundWorker.Options;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Keeps the leases of every operation this process holds (waiting in the executor, waiting for a provider permit,
/// in flight, or waiting for its outcome commit), and fences every provider call.
/// <para>
/// Leases live in PostgreSQL and are measured by PostgreSQL's clock only (<c>clock_timestamp()</c>): replicas never
/// compare their own clocks. Locally this process keeps a conservative lower bound of each lease's end, on the
/// monotonic clock: the time the statement that set the lease was <em>sent</em>, plus the lease's length. The row's
/// end is later than that, so a lease that is still valid by the local bound is certainly still ours.
/// </para>
/// <para>
/// Two things keep leases: a heartbeat renews all held leases every third of <c>Worker:LeaseDuration</c> (one
/// statement for all of them), so work that waits behind a slow provider keeps its place instead of being reclaimed
/// and reconciled by another replica; and <see cref="FenceAsync"/>, called when a call can actually start (its
/// permits are acquired), passes at once when the local bound outlives the call's longest possible duration plus
/// <c>Worker:LeaseMargin</c>, and otherwise extends the lease in PostgreSQL first (requests that arrive together
/// share one statement). A lease found lost is never sent on.
/// </para>
/// </summary>
public sealed class LeaseKeeper(NpgsqlDataSource dataSource, IOptions<WorkerOptions> options, TimeProvider time, ILogger<LeaseKeeper> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, HeldLease> _held = new();
    private readonly Channel<FenceRequest> _fences = Channel.CreateUnbounded<FenceRequest>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Leases currently held by this process.</summary>
    public int HeldCount => _held.Count;

    /// <summary>
    /// Records a lease just taken in PostgreSQL. <paramref name="sentAt"/> is <see cref="TimeProvider.GetTimestamp"/>
    /// read before the statement that set <c>lease_until = clock_timestamp() + duration</c> was sent.
    /// </summary>
    public void Hold(Guid operationId, Guid leaseToken, long sentAt, TimeSpan duration)
        => _held[operationId] = new HeldLease(leaseToken, sentAt + ToTicks(duration));

    /// <summary>Stops keeping the lease (its transition was committed, or it was given up). Only the given token.</summary>
    public void Release(Guid operationId, Guid leaseToken)
    {
        // Compare-and-remove: a renewal may replace the entry between the read and the removal.
        while (Current(operationId, leaseToken) is { } lease)
        {
            if (_held.TryRemove(new KeyValuePair<Guid, HeldLease>(operationId, lease)))
            {
                return;
            }
        }
    }

    /// <summary>Whether this process still believes it holds the lease (not found lost by a renewal).</summary>
    public bool Holds(Guid operationId, Guid leaseToken) => Current(operationId, leaseToken) is { Lost: false };

    /// <summary>
    /// Right before a provider call: true when the lease is ours for at least <paramref name="callDuration"/> plus
    /// <c>Worker:LeaseMargin</c> from now, extending it in PostgreSQL when the local bound is not enough. False
    /// means: do not call. <see cref="FenceResult.Lost"/> says another holder has it; <see cref="FenceResult.Unconfirmed"/>
    /// that PostgreSQL could not be asked (the lease may still be ours; nothing is sent).
    /// </summary>
    public async ValueTask<FenceResult> FenceAsync(Guid operationId, Guid leaseToken, TimeSpan callDuration, CancellationToken ct)
    {
        var needed = callDuration + options.Value.LeaseMargin;
        var lease = Current(operationId, leaseToken);
        if (lease is null || lease.Lost)
        {
            return FenceResult.Lost;
        }

        if (lease.ValidUntil - time.GetTimestamp() >= ToTicks(needed))
        {
            return FenceResult.Held;
        }

        var request = new FenceRequest(operationId, leaseToken, needed);
        await _fences.Writer.WriteAsync(request, ct);
        using var registration = ct.Register(static r => ((FenceRequest)r!).Done.TrySetCanceled(), request);
        return await request.Done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var heartbeat = options.Value.LeaseDuration / 3;
        var nextBeat = time.GetTimestamp() + ToTicks(heartbeat);
        var pending = new List<FenceRequest>();
        while (true)
        {
            var wait = TimeSpan.FromTicks(Math.Max(0, ToTimeSpanTicks(nextBeat - time.GetTimestamp())));
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                timeout.CancelAfter(wait);
                try
                {
                    await _fences.Reader.WaitToReadAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException)
                {
                    // Leases kept until the outcome writer drained: it stops before us. What is left expires.
                    while (_fences.Reader.TryRead(out var r))
                    {
                        r.Done.TrySetResult(FenceResult.Unconfirmed);
                    }

                    return;
                }
            }

            while (_fences.Reader.TryRead(out var r))
            {
                pending.Add(r);
            }

            var beat = time.GetTimestamp() >= nextBeat;
            if (beat)
            {
                nextBeat = time.GetTimestamp() + ToTicks(heartbeat);
            }

            if (pending.Count > 0 || (beat && !_held.IsEmpty))
            {
                await RenewAsync(pending, beat, stoppingToken);
                pending.Clear();
            }
        }
    }

    /// <summary>One statement: the fence requests (each for its own length) and, on a heartbeat, every held lease.</summary>
    private async Task RenewAsync(List<FenceRequest> fences, bool everything, CancellationToken ct)
    {
        var rows = new Dictionary<Guid, (Guid Token, TimeSpan Length)>();
        if (everything)
        {
            foreach (var (id, lease) in _held)
            {
                if (!lease.Lost)
                {
                    rows[id] = (lease.Token, options.Value.LeaseDuration);
                }
            }
        }

        foreach (var f in fences)
        {
            var length = rows.TryGetValue(f.OperationId, out var r) && r.Length > f.Needed ? r.Length : f.Needed;
            rows[f.OperationId] = (f.LeaseToken, length);
        }

        using var activity = WorkerTelemetry.Source.StartActivity("lease.renew");
        activity?.SetTag("leases", rows.Count);
        activity?.SetTag("fences", fences.Count);
        var sentAt = time.GetTimestamp();
        HashSet<Guid> renewed;
        try
        {
            renewed = await ExtendAsync(rows, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            if (!ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Renewing {Count} leases failed; calls that need a longer lease wait (nothing is sent without one)", rows.Count);
            }

            foreach (var f in fences)
            {
                f.Done.TrySetResult(FenceResult.Unconfirmed);
            }

            return;
        }

        foreach (var (id, (token, length)) in rows)
        {
            if (renewed.Contains(id))
            {
                // Only forward (a heartbeat never shortens what a fence granted), and never back in: a lease
                // released while this statement ran stays released.
                Update(id, token, old => old with { ValidUntil = Math.Max(old.ValidUntil, sentAt + ToTicks(length)) });
            }
            else if (Update(id, token, old => old with { Lost = true }))
            {
                WorkerTelemetry.LeasesLost.Add(1);
                logger.LogWarning("Lease of operation {OperationId} is no longer ours; this replica will not call the provider for it", id);
            }
        }

        foreach (var f in fences)
        {
            f.Done.TrySetResult(renewed.Contains(f.OperationId) ? FenceResult.Held : FenceResult.Lost);
        }
    }

    private async Task<HashSet<Guid>> ExtendAsync(Dictionary<Guid, (Guid Token, TimeSpan Length)> rows, CancellationToken ct)
    {
        // GREATEST: a renewal never shortens a lease. The token check is the fence: a reclaimed row has a new token.
        await using var cmd = dataSource.CreateCommand(
            """
            UPDATE operations o SET lease_until = GREATEST(o.lease_until, clock_timestamp() + u.length)
            FROM unnest($1::uuid[], $2::uuid[], $3::interval[]) AS u(id, token, length)
            WHERE o.id = u.id AND o.lease_token = u.token
            RETURNING o.id
            """);
        cmd.Parameters.Add(SqlArrays.Of(rows.Keys.ToArray(), NpgsqlTypes.NpgsqlDbType.Uuid));
        cmd.Parameters.Add(SqlArrays.Of(rows.Values.Select(v => v.Token).ToArray(), NpgsqlTypes.NpgsqlDbType.Uuid));
        cmd.Parameters.Add(SqlArrays.Of(rows.Values.Select(v => v.Length).ToArray(), NpgsqlTypes.NpgsqlDbType.Interval));
        var renewed = new HashSet<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            renewed.Add(reader.GetGuid(0));
        }

        return renewed;
    }

    /// <summary>Compare-and-swap on a held lease with this token; false when it is not held (any more).</summary>
    private bool Update(Guid operationId, Guid leaseToken, Func<HeldLease, HeldLease> change)
    {
        while (Current(operationId, leaseToken) is { } old)
        {
            if (_held.TryUpdate(operationId, change(old), old))
            {
                return true;
            }
        }

        return false;
    }

    private HeldLease? Current(Guid operationId, Guid leaseToken)
        => _held.TryGetValue(operationId, out var lease) && lease.Token == leaseToken ? lease : null;

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private long ToTimeSpanTicks(long timestampTicks) => (long)(timestampTicks * (double)TimeSpan.TicksPerSecond / time.TimestampFrequency);

    /// <param name="ValidUntil">Lower bound of the lease's end, in <see cref="TimeProvider.GetTimestamp"/> ticks.</param>
    private sealed record HeldLease(Guid Token, long ValidUntil, bool Lost = false);

    private sealed record FenceRequest(Guid OperationId, Guid LeaseToken, TimeSpan Needed)
    {
        public TaskCompletionSource<FenceResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>What <see cref="LeaseKeeper.FenceAsync"/> found.</summary>
public enum FenceResult
{
    /// <summary>The lease outlives the call: call.</summary>
    Held,

    /// <summary>Another holder has the operation (or it was finished): never call, drop the work.</summary>
    Lost,

    /// <summary>PostgreSQL could not confirm the lease: do not call now; the work is deferred.</summary>
    Unconfirmed,
}
