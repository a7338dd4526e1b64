using Microsoft.Extensions.DependencyInjection;
using RefundWorker.Contracts;
using RefundWorker.Telemetry;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Telemetry;

/// <summary>The backlog gauges read what PostgreSQL holds: NeedsReview, unsent and parked outbox rows and their
/// age, dead letters by status, and a zero for every configured provider and live state.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class BacklogGaugesTests(TelemetryFixture fx)
{
    [Fact]
    public async Task Should_count_needs_review_outbox_and_dead_letters_from_the_database()
    {
        var gauges = fx.Worker.Services.GetRequiredService<BacklogGauges>();
        Assert.Equal(TimeSpan.FromSeconds(1), gauges.Interval);

        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original, 4_000m);
        await fx.PublishAsync(request);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        // The outcome event reaches the collector before the dispatcher marks its row sent: wait for that, so the
        // unsent count below moves only by the row this test adds.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await fx.Database.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the outbox never drained");
            await Task.Delay(50);
        }

        var before = await gauges.RefreshAsync(CancellationToken.None);
        foreach (var p in new[] { "nicepay", "bnc", "ifortepay" })
        {
            Assert.Equal(0, before.Operations[(p, "Pending")]);
            Assert.Equal(0, before.OldestDueAgeSeconds[p]);
        }

        // One operation a person must look at; an unsent event held back for an hour, created two minutes ago; a
        // parked one; a New dead letter.
        await Exec("UPDATE operations SET state = 'NeedsReview' WHERE request_id = $1", request.RequestId);
        await Exec(
            "INSERT INTO outbox (id, type, payload, created_at, next_attempt_at) VALUES ($1, 'x', '{}', now() - interval '120 seconds', now() + interval '1 hour')",
            Guid.NewGuid());
        await Exec(
            "INSERT INTO outbox (id, type, payload, created_at, parked_at, parked_reason) VALUES ($1, 'x', '{}', now(), now(), 'test')", Guid.NewGuid());
        await Exec(
            """
            INSERT INTO dead_letters (id, source_queue, original_queue, body, body_size, body_truncated, replayable, headers, fingerprint,
                                      first_failed_at, last_failed_at, failures, status, replay_count, replays, delivery_key, received_at)
            VALUES ($1, 'q_error', 'q', '\x00', 1, false, true, '{}', 'f', now(), now(), 1, 'New', 0, '[]', $2, now())
            """,
            Guid.NewGuid(), Guid.NewGuid().ToString("N"));

        var after = await gauges.RefreshAsync(CancellationToken.None);
        Assert.Equal(before.NeedsReview + 1, after.NeedsReview);
        Assert.Equal(before.OutboxUnsent + 1, after.OutboxUnsent);
        Assert.Equal(before.OutboxParked + 1, after.OutboxParked);
        Assert.InRange(after.OutboxOldestUnsentAgeSeconds, 110, 600);
        Assert.Equal(before.DeadLetters["New"] + 1, after.DeadLetters["New"]);
        Assert.Equal(0, after.DeadLetters["Discarded"]);
    }

    private async Task Exec(string sql, params object[] args)
    {
        await using var cmd = fx.Database.DataSource.CreateCommand(sql);
        foreach (var a in args)
        {
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = a });
        }

        await cmd.ExecuteNonQueryAsync();
    }
}
