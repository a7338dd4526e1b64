using RefundWorker.Options;

namespace RefundWorker.Operations;

/// <summary>
/// The day an X-EXTERNAL-ID belongs to. SNAP providers keep X-EXTERNAL-ID unique per partner per day, and their day
/// is the Jakarta calendar date (UTC+7; Indonesia has had no daylight saving since 1964, so a fixed offset is exact
/// and needs no zone database). A reuse on the same day is answered 409xx00; on another day it is a new id.
/// </summary>
public static class ExternalIdDay
{
    private static readonly TimeSpan JakartaOffset = TimeSpan.FromHours(7);

    /// <summary>The Jakarta calendar date of <paramref name="instant"/>.</summary>
    public static DateOnly Of(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(JakartaOffset).DateTime);

    /// <summary>The same rule in SQL, for a <c>timestamptz</c> expression (e.g. an attempt's <c>requested_at</c>).</summary>
    public static string Sql(string timestamptz) => $"(({timestamptz} AT TIME ZONE 'UTC') + interval '7 hours')::date";

    /// <summary>Whether two uses of one X-EXTERNAL-ID, on these days, collide under <paramref name="scope"/>.</summary>
    public static bool Collide(ExternalIdScope scope, DateOnly a, DateOnly b) => scope == ExternalIdScope.Forever || a == b;
}
