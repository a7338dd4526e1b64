using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace RefundWorker.Bench;

/// <summary>
/// Where the worker's publish-to-outcome time went, per refund, from the timestamps it records anyway: the bench's
/// publish, <c>operations.created_at</c> (accepted), the first <c>attempts.requested_at</c> (about to go on the
/// wire), <c>operations.completed_at</c> (answer decided), <c>outbox.created_at</c> (outcome committed with its
/// event) and <c>outbox.sent_at</c> (event confirmed by RabbitMQ), then the bench's arrival. Bench and worker read
/// the same clock (one machine), so the stages add up to the publish-to-outcome time.
/// </summary>
public static class LatencyStages
{
    private const string Sql = """
        SELECT o.request_id, o.created_at, a.requested_at, o.completed_at, x.created_at, x.sent_at
        FROM operations o
        JOIN LATERAL (SELECT min(requested_at) AS requested_at FROM attempts WHERE operation_id = o.id) a ON true
        JOIN outbox x ON x.operation_id = o.id
        WHERE o.request_id = ANY(@ids)
        """;

    private static readonly string[] Names =
    [
        "queue + accept batch", "accepted -> call starts", "provider call", "answer -> outcome committed",
        "outcome committed -> event confirmed", "event confirmed -> arrives",
    ];

    /// <summary>One line per stage: p50 / p99 / max in ms, over <paramref name="ids"/> (the batch's arrived
    /// refunds); <paramref name="publishedAt"/> and <paramref name="arrivedAt"/> give their Stopwatch timestamps.</summary>
    public static async Task PrintAsync(
        string connectionString, Guid[] ids, Func<Guid, long> publishedAt, Func<Guid, long> arrivedAt, TextWriter output, CancellationToken ct)
    {
        // Stopwatch timestamps to wall-clock time: one reading of both, now.
        var wallNow = DateTimeOffset.UtcNow;
        var ticksNow = Stopwatch.GetTimestamp();
        DateTimeOffset Wall(long ticks) => wallNow - Stopwatch.GetElapsedTime(ticks, ticksNow);

        var stages = Names.Select(_ => new List<double>()).ToArray();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (reader.IsDBNull(2) || reader.IsDBNull(3) || reader.IsDBNull(5))
            {
                continue;
            }

            var id = reader.GetGuid(0);
            DateTimeOffset[] points =
            [
                Wall(publishedAt(id)), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5),
                Wall(arrivedAt(id)),
            ];
            for (var s = 0; s < stages.Length; s++)
            {
                stages[s].Add((points[s + 1] - points[s]).TotalMilliseconds);
            }
        }

        output.WriteLine($"  where the time went ({stages[0].Count} refunds; ms, p50 / p99 / max):");
        for (var s = 0; s < stages.Length; s++)
        {
            var sorted = stages[s].Order().ToArray();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {Names[s],-38} {Percentile(sorted, 0.50),8:0.0} {Percentile(sorted, 0.99),8:0.0} {(sorted.Length > 0 ? sorted[^1] : double.NaN),8:0.0}"));
        }
    }

    public static double Percentile(double[] sorted, double p)
        => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
