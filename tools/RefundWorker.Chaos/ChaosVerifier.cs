using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace RefundWorker.Chaos;

/// <summary>What the database said at the end of the run.</summary>
public sealed record DatabaseFigures(
    IReadOnlyDictionary<string, long> States, IReadOnlyList<string?> DeadLetterMessageIds, long LeftInErrorQueues, IReadOnlyList<(string Reason, long Count)> NeedsReview);

/// <summary>One refund or cancel the sandbox's ledger shows as effected.</summary>
public sealed record Booking(string Provider, string Key, bool IsCancel);

/// <summary>
/// Counts the breaches of one run from the three witnesses that do not depend on the worker's own word: the outcome
/// events the order system received, the sandbox's ledger (what the providers actually booked) and, for operations
/// still in flight, the worker's database.
/// </summary>
public static class ChaosVerifier
{
    private static readonly string[] NotFinal = ["Pending", "Sending", "Reconciling"];

    public static void Verify(ChaosReport report, RequestMix mix, IReadOnlyCollection<OutcomeEvent> events, IReadOnlyList<Booking> ledger, DatabaseFigures db)
    {
        var expected = mix.ExpectedRequestIds();
        var byRequest = events.GroupBy(e => e.RequestId).ToDictionary(g => g.Key, g => g.ToList());

        report.Add("requests (distinct RequestIds)", expected.Count);
        foreach (var role in Enum.GetValues<MessageRole>())
        {
            report.Add($"  messages published as {role}", mix.Messages.Count(m => m.Role == role));
        }

        report.Add("outcomes (requests with an outcome event)", expected.Count(byRequest.ContainsKey));
        foreach (var kind in events.GroupBy(e => e.Kind).OrderBy(g => g.Key))
        {
            report.Add($"  {kind.Key}", kind.Select(e => e.RequestId).Distinct().Count());
        }

        report.Add("outcome events delivered (with redeliveries)", events.Count);

        var doubles = ledger.Where(b => !b.IsCancel).GroupBy(b => (b.Provider, b.Key)).Count(g => g.Count() > 1)
            + ledger.Where(b => b.IsCancel).GroupBy(b => (b.Provider, b.Key)).Count(g => g.Count() > 1);
        report.Breach("double refunds (a key booked twice in the ledger)", doubles);
        report.Breach("requests without an outcome", expected.Count(id => !byRequest.ContainsKey(id)));
        report.Breach("requests with contradicting outcome events", byRequest.Values.Count(l => l.Select(e => e.Kind).Distinct().Count() > 1));
        report.Breach("outcome events of one request with differing MessageId", byRequest.Values.Count(l => l.Select(e => e.MessageId).Distinct().Count() > 1));
        report.Breach("outcome events for no published request", byRequest.Keys.Count(id => !expected.Contains(id)));

        // The ledger against the events: a success must be booked, a booking must have been reported as a success.
        var succeeded = events.Where(e => e.Kind is "RefundSucceeded" or "CancelSucceeded")
            .Select(e => (e.Provider, e.Key, IsCancel: e.Kind == "CancelSucceeded")).ToHashSet();
        var inReview = events.Where(e => e.Kind.EndsWith("NeedsReview", StringComparison.Ordinal))
            .Select(e => (e.Provider, e.Key, IsCancel: e.Kind.StartsWith("Cancel", StringComparison.Ordinal))).ToHashSet();
        var booked = ledger.Select(b => (b.Provider, b.Key, b.IsCancel)).ToHashSet();
        report.Breach("successes the ledger does not show", succeeded.Count(s => !booked.Contains(s)));
        report.Breach("bookings reported as anything but a success", booked.Count(b => !succeeded.Contains(b) && !inReview.Contains(b)));
        report.Add("bookings whose outcome is NeedsReview (documented)", booked.Count(b => !succeeded.Contains(b) && inReview.Contains(b)));

        report.Breach("operations not final after the settle time", NotFinal.Sum(s => db.States.GetValueOrDefault(s)));
        report.Add("operations in NeedsReview (documented: unknown outcome after the last status query)", db.States.GetValueOrDefault("NeedsReview"));
        report.Add("operations by state", string.Join(", ", db.States.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}")));

        var garbage = mix.UnparseableIds().Select(id => id.ToString()).ToHashSet();
        var letters = db.DeadLetterMessageIds;
        report.Add("dead letters (unparseable messages published)", $"{letters.Count + db.LeftInErrorQueues} ({garbage.Count})");
        report.Breach("dead letters that are not a deliberately unparseable message", letters.Count(id => id is null || !garbage.Contains(id)));
        report.Breach("unparseable messages that did not end as a dead letter", garbage.Count(g => !letters.Contains(g)) - db.LeftInErrorQueues > 0
            ? garbage.Count(g => !letters.Contains(g)) - db.LeftInErrorQueues
            : 0);
    }

    public static async Task<DatabaseFigures> ReadDatabaseAsync(string connectionString, Func<Task<long>> errorQueueMessages, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var states = new Dictionary<string, long>();
        await using (var cmd = new NpgsqlCommand("SELECT state, count(*) FROM operations GROUP BY state", connection))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                states[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        var letters = new List<string?>();
        await using (var cmd = new NpgsqlCommand("SELECT message_id FROM dead_letters", connection))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                letters.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
            }
        }

        // Why operations went to review, so a run's NeedsReview can be checked against the documented causes.
        var review = new List<(string, long)>();
        await using (var cmd = new NpgsqlCommand(
            "SELECT provider || ' ' || kind || ': ' || coalesce(outcome_message, '(no message)'), count(*) FROM operations WHERE state = 'NeedsReview' GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
            connection))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                review.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        return new DatabaseFigures(states, letters, await errorQueueMessages(), review);
    }

    /// <summary>
    /// For each request without an outcome (at most 20): where it was in the publish order, what it was, and what the
    /// worker's database holds for it (its operation and outbox rows, a dead letter): the first thing to look at
    /// when the run finds this breach.
    /// </summary>
    public static async Task<List<string>> DescribeMissingAsync(string connectionString, RequestMix mix, IReadOnlyList<Guid> missing, CancellationToken ct)
    {
        var lines = new List<string>();
        if (missing.Count == 0)
        {
            return lines;
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        foreach (var id in missing.Take(20))
        {
            var positions = mix.Messages.Select((m, i) => (m, i)).Where(x => x.m.RequestId == id).ToList();
            var what = string.Join(", ", positions.Select(x => $"#{x.i} {x.m.Role} {x.m.Provider} {x.m.Key}"));
            await using var cmd = new NpgsqlCommand(
                """
                SELECT coalesce((SELECT string_agg(o.id || ' ' || o.state || ' attempts ' || o.attempts || ' created ' || o.created_at
                    || coalesce(' completed ' || o.completed_at, '') || ' outbox: ' || coalesce((SELECT string_agg(b.type || ' sent ' || coalesce(b.sent_at::text, 'no')
                        || coalesce(' unroutable ' || b.unroutable_count, '') || coalesce(' parked ' || b.parked_reason, ''), '; ')
                        FROM outbox b WHERE b.operation_id = o.id), 'none'), ' | ') FROM operations o WHERE o.request_id = $1), 'no operation row')
                    || ' | dead letters: ' || (SELECT count(*) FROM dead_letters d WHERE d.message_id = $2)
                """, connection);
            cmd.Parameters.AddWithValue(id);
            cmd.Parameters.AddWithValue(id.ToString());
            lines.Add($"{id} ({what}): {await cmd.ExecuteScalarAsync(ct)}");
        }

        return lines;
    }

    /// <summary>Every refund and cancel the sandbox booked, one provider at a time (the whole ledger is large).</summary>
    public static async Task<List<Booking>> ReadLedgerAsync(HttpClient sandbox, CancellationToken ct)
    {
        var bookings = new List<Booking>();
        foreach (var provider in RequestMix.Providers)
        {
            await using var stream = await sandbox.GetStreamAsync($"/_sandbox/ledger?provider={provider}", ct);
            using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
            foreach (var original in doc.RootElement.GetProperty("originals").EnumerateArray())
            {
                foreach (var refund in original.GetProperty("refunds").EnumerateArray())
                {
                    bookings.Add(new Booking(provider, refund.GetProperty("partnerRefundNo").GetString()!, IsCancel: false));
                }

                if (original.TryGetProperty("cancel", out var cancel) && cancel.ValueKind == JsonValueKind.Object)
                {
                    bookings.Add(new Booking(provider, original.GetProperty("originalPartnerReferenceNo").GetString()!, IsCancel: true));
                }
            }
        }

        return bookings;
    }

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
