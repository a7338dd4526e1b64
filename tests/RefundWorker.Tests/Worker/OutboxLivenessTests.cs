using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Contracts;
using RefundWorker.Outbox;
using RefundWorker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// The outbox keeps moving: rows this build cannot publish are parked (with a reason, once) instead of blocking the
/// rows behind them, and retention deletes old sent rows as fast as they are written. Each test has its own database
/// and vhost, so nothing else writes to the outbox it looks at.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class OutboxLivenessTests(WorkerFixture fx, ITestOutputHelper output)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Should_park_600_rows_of_an_unknown_type_with_a_reason_and_deliver_the_50_events_behind_them_without_spinning()
    {
        // Arrange: more unpublishable rows than a dispatcher batch (500) at the head of the outbox, valid events behind.
        await using var db = await TestDatabase.CreateAsync(fx.Services);
        await using var vhost = await TestVirtualHost.CreateAsync(fx.Services);
        await using var outcomes = await OutcomeCollector.StartAsync(vhost.Amqp);
        var unknownType = "RefundWorker.Contracts.RefundFromTheFuture" + Guid.NewGuid().ToString("N")[..8];
        var head = DateTimeOffset.UtcNow.AddHours(-1);
        var unknown = Enumerable.Range(0, 600).Select(i => (Guid.NewGuid(), unknownType, "{\"requestId\":\"" + Guid.NewGuid() + "\"}", head.AddMilliseconds(i))).ToList();
        var valid = Enumerable.Range(0, 50).Select(i => Succeeded(head.AddMinutes(10).AddMilliseconds(i))).ToList();
        var notAnObject = (Guid.NewGuid(), typeof(RefundSucceeded).FullName!, "[1, 2]", head.AddMinutes(5));
        await InsertAsync(db, [.. unknown, notAnObject, .. valid.Select(v => v.Row)]);

        // A valid event an older replica parked (it did not know the type then): this build releases and publishes it.
        var released = Succeeded(head.AddMinutes(20));
        await InsertAsync(db, [released.Row]);
        await db.ScalarAsync<int>("UPDATE outbox SET parked_at = now(), parked_reason = 'unknown type (older replica)' WHERE id = $1 RETURNING 1", released.Row.Id);

        var logs = new CapturingLoggerProvider();
        var worker = await fx.StartWorkerAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ConnectionStrings:RabbitMq"] = vhost.Amqp.ToString() },
            logging: l => l.AddProvider(logs));
        try
        {
            // Act: the worker starts on this outbox.
            await outcomes.WaitForAllAsync([.. valid.Select(v => v.RequestId), released.RequestId], TimeSpan.FromSeconds(60));

            // Let the dispatcher poll a while more (every 200 ms): a spinning one would keep claiming and logging.
            await Task.Delay(TimeSpan.FromSeconds(3));

            // Assert: the 50 (and the released one) delivered once each; the 600 parked with the reason, logged once each.
            Assert.All(valid.Append(released), v => Assert.Single(outcomes.For(v.RequestId)));
            Assert.Equal(600L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE type = $1 AND parked_at IS NOT NULL AND sent_at IS NULL", unknownType));
            Assert.Equal(600L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE type = $1 AND parked_reason LIKE 'unknown type%'", unknownType));
            Assert.Contains("not a JSON object", await db.ScalarAsync<string>("SELECT parked_reason FROM outbox WHERE id = $1", notAnObject.Item1), StringComparison.Ordinal);
            Assert.Equal(51L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND parked_at IS NULL"));
            Assert.Equal(601L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE sent_at IS NULL"));

            var dispatcherLines = logs.Lines.Where(l => l.Contains("OutboxDispatcher", StringComparison.Ordinal)).ToList();
            var aboutUnknown = dispatcherLines.Count(l => l.Contains(unknownType, StringComparison.Ordinal));
            output.WriteLine($"dispatcher log lines naming the unknown type: {aboutUnknown}; all dispatcher lines: {dispatcherLines.Count}");
            Assert.Equal(600, aboutUnknown);
            Assert.Equal(600, dispatcherLines.Count(l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains(unknownType, StringComparison.Ordinal) && l.Contains("parked", StringComparison.Ordinal)));
            Assert.Single(dispatcherLines, l => l.Contains("Released 1 parked outbox row", StringComparison.Ordinal));
        }
        finally
        {
            await fx.StopWorkerAsync(worker);
        }
    }

    [Fact]
    public async Task Should_delete_200000_sent_rows_older_than_the_retention_in_one_pass_faster_than_the_sustained_event_rate()
    {
        // Arrange: a worker on its own database whose periodic pass does not come back during the test.
        await using var db = await TestDatabase.CreateAsync(fx.Services);
        var worker = await fx.StartWorkerAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString,
            ["Worker:OutboxRetention"] = "1.00:00:00",
            ["Worker:OutboxCleanup:Interval"] = "01:00:00",
        });
        try
        {
            const int Old = 200_000;
            await ExecuteAsync(db, $"""
                INSERT INTO outbox (id, type, payload, created_at, sent_at)
                SELECT gen_random_uuid(), 'RefundWorker.Contracts.RefundSucceeded', jsonb_build_object('requestId', gen_random_uuid()),
                       now() - interval '3 days' + g * interval '1 ms', now() - interval '3 days' + g * interval '1 ms'
                FROM generate_series(1, {Old}) AS g
                """);
            // Kept: sent within the retention, old but unsent, old but parked.
            await ExecuteAsync(db, """
                INSERT INTO outbox (id, type, payload, created_at, sent_at)
                SELECT gen_random_uuid(), 'RefundWorker.Contracts.RefundSucceeded', '{}'::jsonb, now() - interval '1 hour', now() - interval '1 hour'
                FROM generate_series(1, 1000)
                """);
            await ExecuteAsync(db, """
                INSERT INTO outbox (id, type, payload, created_at, parked_at, parked_reason)
                SELECT gen_random_uuid(), 'RefundWorker.Contracts.Unknown', '{}'::jsonb, now() - interval '3 days', now() - interval '3 days', 'unknown type'
                FROM generate_series(1, 10)
                """);
            await ExecuteAsync(db, "ANALYZE outbox");
            var retention = worker.Services.GetRequiredService<OutboxRetention>();

            // Act: one pass.
            var watch = Stopwatch.StartNew();
            var deleted = await retention.DeleteExpiredAsync(CancellationToken.None);
            watch.Stop();

            // Assert: all old sent rows gone in that pass, nothing else touched, and faster than events arrive (1,500/s).
            var rate = deleted / watch.Elapsed.TotalSeconds;
            output.WriteLine($"one retention pass deleted {deleted} rows in {watch.Elapsed.TotalSeconds:F2} s: {rate:F0} rows/s (batch 5000, pause 50 ms)");
            Assert.Equal(Old, deleted);
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE sent_at < now() - interval '1 day'"));
            Assert.Equal(1000L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"));
            Assert.Equal(10L, await db.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL"));
            Assert.True(rate > 1_500, $"retention deleted {rate:F0} rows/s, slower than the 1,500 events/s it must keep up with");
        }
        finally
        {
            await fx.StopWorkerAsync(worker);
        }
    }

    private static (Guid RequestId, (Guid Id, string Type, string Payload, DateTimeOffset CreatedAt) Row) Succeeded(DateTimeOffset createdAt)
    {
        var requestId = Guid.NewGuid();
        var message = new RefundSucceeded
        {
            RequestId = requestId,
            Provider = "nicepay",
            MerchantId = Requests.NicepayMerchant,
            PartnerRefundNo = "P" + requestId.ToString("N")[..20],
            Attempts = 1,
            Amount = 10_000m,
            Currency = "IDR",
        };
        return (requestId, (Guid.NewGuid(), typeof(RefundSucceeded).FullName!, JsonSerializer.Serialize(message, Json), createdAt));
    }

    private static async Task InsertAsync(TestDatabase db, IReadOnlyList<(Guid Id, string Type, string Payload, DateTimeOffset CreatedAt)> rows)
    {
        await using var cmd = db.DataSource.CreateCommand(
            "INSERT INTO outbox (id, type, payload, created_at) SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::timestamptz[])");
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Type).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Payload).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.CreatedAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(TestDatabase db, string sql)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        cmd.CommandTimeout = 300;
        await cmd.ExecuteNonQueryAsync();
    }
}
