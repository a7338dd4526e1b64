using System.Net;
using System.Text.Json;
using RabbitMQ.Client;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// A dead-letter burst: 1,000 valid refunds that faulted for one cause (PostgreSQL was unreachable until MassTransit's
/// retries ran out) are one group; a dry run says what a replay would do and does nothing; the replay runs as a job
/// with progress and yields exactly one outcome per refund; replaying the group again skips every letter.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class BulkReplayTests(AdminFixture fx)
{
    private const int Count = 1_000;
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Should_dry_run_then_replay_a_group_of_1000_letters_as_a_job_with_one_outcome_each()
    {
        var requests = Enumerable.Range(0, Count)
            .Select(_ => Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant)))
            .ToList();
        var host = "db-" + Guid.NewGuid().ToString("N")[..8];
        await PutFaultedAsync(requests, $"Failed to connect to {host}:5432");

        using var http = fx.Client(fx.OperatorKey);
        var group = await AdminFixture.EventuallyAsync(async () =>
        {
            var (_, groups) = await http.GetJsonAsync("/admin/dead-letters/groups?queue=refund-requested_error&status=New");
            return groups.GetProperty("groups").EnumerateArray()
                .FirstOrDefault(g => g.Str("sampleReason").Contains(host, StringComparison.Ordinal) && g.GetProperty("count").GetInt64() == Count) is { ValueKind: JsonValueKind.Object } found
                ? found.Str("fingerprint")
                : null;
        }, TimeSpan.FromSeconds(90), "1,000 letters in one group");

        // Another cause is another group: the same fingerprint never sweeps it in.
        Assert.Equal(Count, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM dead_letters WHERE fingerprint = $1", group));

        var (dryStatus, plan) = await http.PostAsync("/admin/dead-letters/replay", new { filter = new { fingerprint = group }, reason = "PostgreSQL is back", dryRun = true });
        Assert.Equal(HttpStatusCode.OK, dryStatus);
        Assert.Equal(Count, plan.GetProperty("wouldReplay").GetInt32());
        Assert.Equal(0, plan.GetProperty("wouldSkip").GetInt32());
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(fx.Outcomes.For(requests[0].RequestId));
        Assert.Equal(0L, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM dead_letters WHERE fingerprint = $1 AND status <> 'New'", group));

        var (started, job) = await http.PostAsync("/admin/dead-letters/replay", new { filter = new { fingerprint = group }, reason = "PostgreSQL is back" });
        Assert.Equal(HttpStatusCode.Accepted, started);
        var jobId = job.Str("jobId");
        var done = await AdminFixture.EventuallyAsync(async () =>
        {
            var (_, j) = await http.GetJsonAsync($"/admin/jobs/{jobId}");
            return j.Str("status") == "Running" ? null : (object)j;
        }, TimeSpan.FromSeconds(120), "the replay job");
        var finished = (JsonElement)done;
        Assert.Equal("Completed", finished.Str("status"));
        Assert.Equal(Count, finished.GetProperty("total").GetInt32());
        Assert.Equal(Count, finished.GetProperty("done").GetInt32());

        await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromSeconds(180));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.All(requests, r => Assert.IsType<RefundSucceeded>(Assert.Single(fx.Outcomes.For(r.RequestId)).Message));
        Assert.Equal((long)Count, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'dead-letter.replay' AND detail->>'job' = $1", jobId));

        // Every letter is Replayed: the same bulk replay again skips them all.
        var (_, again) = await http.PostAsync("/admin/dead-letters/replay", new { filter = new { fingerprint = group }, reason = "again", dryRun = true });
        Assert.Equal(0, again.GetProperty("wouldReplay").GetInt32());
        Assert.Equal(Count, again.GetProperty("skippedBecause").GetProperty("already-replayed").GetInt32());
    }

    /// <summary>
    /// The messages as MassTransit leaves them in the error queue once its retries against an unreachable PostgreSQL ran
    /// out: the body untouched, the fault in MT-Fault-* headers. (A real outage cannot be staged on the shared server.)
    /// </summary>
    private async Task PutFaultedAsync(IReadOnlyList<RefundRequested> requests, string faultMessage)
    {
        var factory = new ConnectionFactory { Uri = fx.VirtualHost.Amqp };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var at = DateTimeOffset.UtcNow.ToString("O");
        await Task.WhenAll(requests.Select(async r =>
        {
            var id = Guid.NewGuid();
            var props = new BasicProperties
            {
                ContentType = "application/vnd.masstransit+json",
                MessageId = id.ToString(),
                Persistent = true,
                Headers = new Dictionary<string, object?>
                {
                    ["MT-Reason"] = "fault",
                    ["MT-Fault-ExceptionType"] = "Npgsql.NpgsqlException",
                    ["MT-Fault-Message"] = faultMessage,
                    ["MT-Fault-StackTrace"] = "   at Npgsql.Internal.NpgsqlConnector.Connect(...)",
                    ["MT-Fault-Timestamp"] = at,
                    ["MT-Fault-ConsumerType"] = "RefundWorker.Consumers.RefundRequestedConsumer",
                },
            };
            var body = AdminFixture.Envelope("urn:message:RefundWorker.Contracts:RefundRequested", JsonSerializer.SerializeToElement(r, Web), id);
            await channel.BasicPublishAsync(string.Empty, "refund-requested_error", mandatory: false, props, body);
        }));
    }
}
