using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// Dead letters live in PostgreSQL: a poison message becomes a row with its fault; a fixed copy replayed yields exactly
/// one outcome; a second replay needs force; a replay that fails again comes back to its letter; too big a body is kept
/// in part and not replayable; discard.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class DeadLetterTests(AdminFixture fx)
{
    private const string RefundType = "urn:message:RefundWorker.Contracts:RefundRequested";
    private const string RefundExchange = "RefundWorker.Contracts:RefundRequested";
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Should_store_a_poison_message_as_a_dead_letter_row_with_its_fault_and_ack_it()
    {
        var messageId = Guid.NewGuid();
        var body = AdminFixture.Envelope(RefundType, new { requestId = Guid.NewGuid(), provider = "nicepay" }, messageId);
        await fx.PublishRawAsync(RefundExchange, body, messageId.ToString());

        var id = await WaitForLetterAsync(messageId.ToString());
        using var http = fx.Client(fx.ReaderKey);
        var (status, letter) = await http.GetJsonAsync($"/admin/dead-letters/{id}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("refund-requested_error", letter.Str("sourceQueue"));
        Assert.Equal("refund-requested", letter.Str("originalQueue"));
        Assert.Equal(RefundType, letter.Str("messageType"));
        Assert.Equal("fault", letter.Str("faultReason"));
        Assert.False(string.IsNullOrWhiteSpace(letter.Str("exceptionType")));
        Assert.False(string.IsNullOrWhiteSpace(letter.Str("exceptionMessage")));
        Assert.False(string.IsNullOrWhiteSpace(letter.Str("stackTrace")));
        Assert.Equal("New", letter.Str("status"));
        Assert.Equal(16, letter.Str("fingerprint").Length);
        // Exactly as received, byte for byte.
        Assert.Equal(Encoding.UTF8.GetString(body), letter.Str("body"));
        Assert.True(letter.GetProperty("headers").GetProperty("headers").TryGetProperty("MT-Fault-ExceptionType", out _));
        // Acked once stored: nothing is left in the error queue.
        Assert.Empty(await fx.VirtualHost.GetMessagesAsync("refund-requested_error", 10));
    }

    [Fact]
    public async Task Should_publish_exactly_one_outcome_when_a_fixed_copy_is_replayed_and_refuse_a_second_replay_without_force()
    {
        var request = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
        var messageId = Guid.NewGuid();
        // The order system forgot externalId and merchantId: the contract cannot be read.
        var poison = new { request.RequestId, request.Provider, request.PartnerRefundNo, request.Amount, request.Currency, request.OriginalReferenceNo };
        await fx.PublishRawAsync(RefundExchange, AdminFixture.Envelope(RefundType, poison, messageId), messageId.ToString());
        var id = await WaitForLetterAsync(messageId.ToString());
        using var http = fx.Client(fx.OperatorKey);

        // An edited body that is still not the contract is refused, naming the field.
        var (invalid, problem) = await http.PostAsync($"/admin/dead-letters/{id}/replay", new { reason = "fix", body = new { requestId = request.RequestId } });
        Assert.Equal(HttpStatusCode.BadRequest, invalid);
        Assert.Equal("body", problem.Str("field"));

        var fixedBody = JsonSerializer.SerializeToElement(request, Web);
        var (ok, replay) = await http.PostAsync($"/admin/dead-letters/{id}/replay", new { reason = "order system sent no externalId; filled in from the order", body = fixedBody });
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.NotEqual(messageId.ToString(), replay.Str("messageId"));

        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);
        var (second, refusal) = await http.PostAsync($"/admin/dead-letters/{id}/replay", new { reason = "again", body = fixedBody });
        Assert.Equal(HttpStatusCode.Conflict, second);
        Assert.Equal("application/problem+json", await ContentTypeAsync(http, id));
        Assert.Equal("already-replayed", refusal.Str("rule"));

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Single(fx.Outcomes.For(request.RequestId));
        Assert.Single(fx.Sandbox.Ledger.Find("nicepay", request.OriginalReferenceNo!)!.Refunds);
        var (_, letter) = await http.GetJsonAsync($"/admin/dead-letters/{id}");
        Assert.Equal("Replayed", letter.Str("status"));
        Assert.Equal(1, letter.GetProperty("replayCount").GetInt32());
        var entry = letter.GetProperty("replays")[0];
        Assert.Equal(AdminFixture.OperatorName, entry.Str("by"));
        Assert.True(entry.GetProperty("edited").GetBoolean());
        Assert.Equal(replay.Str("messageId"), entry.Str("messageId"));
        // The original stays as it was received.
        Assert.Contains(messageId.ToString(), letter.Str("body"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_bring_a_replay_that_fails_again_back_to_its_letter_and_allow_it_with_force()
    {
        var messageId = Guid.NewGuid();
        await fx.PublishRawAsync(RefundExchange, AdminFixture.Envelope(RefundType, new { requestId = Guid.NewGuid() }, messageId), messageId.ToString());
        var id = await WaitForLetterAsync(messageId.ToString());
        using var http = fx.Client(fx.OperatorKey);

        var (ok, _) = await http.PostAsync($"/admin/dead-letters/{id}/replay", new { reason = "was the consumer fixed?" });
        Assert.Equal(HttpStatusCode.OK, ok);

        // Same bytes, same fault: the letter is New again with two failures, not a second letter.
        await AdminFixture.EventuallyAsync(async () => await fx.Database.ScalarAsync<int>("SELECT failures FROM dead_letters WHERE id = $1", id) == 2 ? "" : null, what: "the replay to fail again");
        Assert.Equal(1L, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM dead_letters WHERE message_id = $1", messageId.ToString()));
        var (_, letter) = await http.GetJsonAsync($"/admin/dead-letters/{id}");
        Assert.Equal("New", letter.Str("status"));
        Assert.Equal(1, letter.GetProperty("replayCount").GetInt32());
    }

    [Fact]
    public async Task Should_keep_too_big_a_body_in_part_and_refuse_to_replay_it_as_it_is()
    {
        var messageId = Guid.NewGuid();
        var big = AdminFixture.Envelope(RefundType, new { requestId = Guid.NewGuid(), reason = new string('x', AdminFixture.MaxBodyBytes * 2) }, messageId);
        await fx.PublishRawAsync(RefundExchange, big, messageId.ToString());
        var id = await WaitForLetterAsync(messageId.ToString());
        using var http = fx.Client(fx.OperatorKey);

        var (_, letter) = await http.GetJsonAsync($"/admin/dead-letters/{id}");
        Assert.True(letter.GetProperty("bodyTruncated").GetBoolean());
        Assert.False(letter.GetProperty("replayable").GetBoolean());
        Assert.Equal(big.Length, letter.GetProperty("bodySize").GetInt32());
        Assert.Equal(AdminFixture.MaxBodyBytes, await fx.Database.ScalarAsync<int>("SELECT length(body) FROM dead_letters WHERE id = $1", id));
        var (status, problem) = await http.PostAsync($"/admin/dead-letters/{id}/replay", new { reason = "try", force = true });
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("not-replayable", problem.Str("rule"));
    }

    [Fact]
    public async Task Should_discard_with_a_reason_and_refuse_a_second_discard_and_a_replay()
    {
        var messageId = Guid.NewGuid();
        await fx.PublishRawAsync(RefundExchange, Encoding.UTF8.GetBytes("{ not json at all"), messageId.ToString());
        var id = await WaitForLetterAsync(messageId.ToString());
        using var http = fx.Client(fx.OperatorKey);

        var (noReason, p1) = await http.PostAsync($"/admin/dead-letters/{id}/discard", new { });
        Assert.Equal(HttpStatusCode.BadRequest, noReason);
        Assert.Equal("reason", p1.Str("field"));

        var (ok, _) = await http.PostAsync($"/admin/dead-letters/{id}/discard", new { reason = "test garbage from a load tool" });
        Assert.Equal(HttpStatusCode.OK, ok);
        var (again, p2) = await http.PostAsync($"/admin/dead-letters/{id}/discard", new { reason = "again" });
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Equal("already-discarded", p2.Str("rule"));
        var (replay, p3) = await http.PostAsync($"/admin/dead-letters/{id}/replay", new { reason = "oops" });
        Assert.Equal(HttpStatusCode.Conflict, replay);
        Assert.Equal("discarded", p3.Str("rule"));

        var (_, letter) = await http.GetJsonAsync($"/admin/dead-letters/{id}");
        Assert.Equal("Discarded", letter.Str("status"));
        Assert.Equal(AdminFixture.OperatorName, letter.Str("discardedBy"));
        Assert.Equal("test garbage from a load tool", letter.Str("discardReason"));
    }

    private async Task<Guid> WaitForLetterAsync(string messageId)
    {
        var id = await AdminFixture.EventuallyAsync(async () =>
        {
            await using var cmd = fx.Database.DataSource.CreateCommand("SELECT id FROM dead_letters WHERE message_id = $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = messageId });
            return await cmd.ExecuteScalarAsync() is Guid g ? (object)g : null;
        }, TimeSpan.FromSeconds(30), "the dead letter " + messageId);
        return (Guid)id;
    }

    private static async Task<string?> ContentTypeAsync(HttpClient http, Guid id)
    {
        using var r = await http.PostAsync($"/admin/dead-letters/{id}/replay", new StringContent("{\"reason\":\"x\"}", Encoding.UTF8, "application/json"));
        return r.Content.Headers.ContentType?.MediaType;
    }
}
