using Npgsql;

namespace RefundWorker.Operations;

/// <summary>
/// A rate-limited provider's send slots, shared by every replica through one row of <c>provider_pacing</c>: a call
/// books the next free slot and moves it on by one interval (1 / <c>RateLimitPerSecond</c>) in a single statement, and
/// then waits until its slot. Row locking orders the bookings of all replicas, and the slot is measured on
/// PostgreSQL's clock only (what comes back is how long to wait from now, never a time to compare with ours), so
/// however many replicas run, slots are one interval apart. One short statement per call to a rate-limited provider:
/// those publish limits of a few to a few hundred calls a second, which one row carries easily.
/// </summary>
public sealed class FleetPacing(NpgsqlDataSource dataSource)
{
    /// <summary>Books the provider's next slot; returns how long to wait for it (zero when it is now).</summary>
    public async Task<TimeSpan> BookAsync(string provider, TimeSpan interval, CancellationToken ct)
    {
        // RETURNING sees the row as updated: its next_send less one interval is the slot just booked.
        await using var cmd = dataSource.CreateCommand(
            """
            INSERT INTO provider_pacing AS p (provider, next_send) VALUES ($1, clock_timestamp() + $2)
            ON CONFLICT (provider) DO UPDATE SET next_send = greatest(p.next_send, clock_timestamp()) + $2
            RETURNING greatest(p.next_send - $2 - clock_timestamp(), interval '0')
            """);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider.ToLowerInvariant() });
        cmd.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = interval });
        return (TimeSpan)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
