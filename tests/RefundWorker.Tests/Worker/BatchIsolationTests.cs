using System.Text;
using Microsoft.EntityFrameworkCore;
using RefundWorker.Consumers;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// One bad message never takes its batch with it: invalid requests are rejected one by one (field and rule named),
/// and a request PostgreSQL refuses for a reason the validator did not foresee reaches the error queue alone while
/// its batch-mates are accepted.
/// </summary>
[Collection(BatchIsolationCollection.Name)]
public sealed class BatchIsolationTests(BatchIsolationFixture fx, ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(150);

    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed record Invalid(string Label, object? Message, string Field, string Rule, Guid RequestId, string? RawJson = null);

    [Fact]
    public async Task Should_run_every_valid_refund_and_reject_each_invalid_one_when_invalid_messages_sit_between_them()
    {
        await fx.VirtualHost.GetMessagesAsync(RefundRequestedConsumer.QueueName + "_error", 1000);
        var valid = new List<RefundRequested>();
        for (var i = 0; i < 200; i++)
        {
            valid.Add(i % 3 == 0
                ? Requests.BankRefund(fx.Sandbox.Original("bnc"))
                : Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant)));
        }

        var nicepay = () => Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
        var bank = () => Requests.BankRefund(fx.Sandbox.Original("bnc"));
        var nested = Guid.NewGuid();
        var deeplyNested = Guid.NewGuid();
        List<Invalid> invalid =
        [
            Refund("reason over-long", nicepay() with { Reason = new string('r', 300) }, "reason", "maxLength:256"),
            Refund("merchantId over-long", bank() with { MerchantId = new string('M', 100) }, "merchantId", "maxLength:64"),
            Refund("subMerchantId over-long", bank() with { SubMerchantId = new string('S', 200) }, "subMerchantId", "maxLength:128"),
            Refund("externalStoreId over-long", bank() with { ExternalStoreId = new string('E', 200) }, "externalStoreId", "maxLength:128"),
            Refund("originalExternalId over-long", nicepay() with { OriginalExternalId = new string('9', 300) }, "originalExternalId", "maxLength:128"),
            Refund("NUL in reason", nicepay() with { Reason = "Customer\0returned it" }, "reason", "controlCharacters"),
            Refund("NUL in merchantId", bank() with { MerchantId = "MERCH\0NT01" }, "merchantId", "controlCharacters"),
            Refund("control character in partnerRefundNo", bank() with { PartnerRefundNo = Requests.Unique("BRF\u0007") }, "partnerRefundNo", "controlCharacters"),
            Refund("NUL in additionalInfo", nicepay() with { AdditionalInfo = new Dictionary<string, string> { ["cancelType"] = "2", ["note"] = "a\0b" } }, "additionalInfo", "controlCharacters"),
            Refund("amount out of range", nicepay() with { Amount = 100_000_000_000_000_000_000m }, "refundAmount.value", "maxValue"),
            Refund("amount with three decimals", nicepay() with { Amount = 10_000.005m }, "refundAmount.value", "amountFormat"),
            Refund("externalId over-long", nicepay() with { ExternalId = new string('7', 100) }, "externalId", "maxLength:40"),
            Refund("additionalInfo oversized", bank() with { AdditionalInfo = new Dictionary<string, string> { ["deviceId"] = new string('d', 20_000) } }, "additionalInfo", "maxSize"),
            Refund("additionalInfo with too many entries", bank() with { AdditionalInfo = Enumerable.Range(0, 100).ToDictionary(i => $"k{i}", i => "v") }, "additionalInfo", "maxEntries"),
            Refund("empty RequestId", nicepay() with { RequestId = Guid.Empty }, "requestId", "mandatory"),
            // Not expressible with the contract (additionalInfo is a map of strings): published as raw JSON. Neither
            // can be read as a RefundRequested (the deep one not even as an envelope), so each faults alone at
            // deserialization and reaches the error queue.
            new("nested additionalInfo", null, "additionalInfo", "deserialization", nested, NestedRefundJson(nicepay() with { RequestId = nested }, depth: 3)),
            new("deeply nested additionalInfo", null, "additionalInfo", "deserialization", deeplyNested, NestedRefundJson(nicepay() with { RequestId = deeplyNested }, depth: 200)),
        ];

        // The invalid ones spread between the valid ones, published together so they share batches.
        var all = new List<object>(valid);
        for (var i = 0; i < invalid.Count; i++)
        {
            all.Insert(Math.Min(all.Count, (i + 1) * 12), invalid[i]);
        }

        foreach (var chunk in all.Chunk(25))
        {
            await Task.WhenAll(chunk.Select(m => m switch
            {
                Invalid { RawJson: { } raw } x => fx.PublishRawAsync("RefundWorker.Contracts:RefundRequested", "urn:message:RefundWorker.Contracts:RefundRequested", raw, x.RequestId),
                Invalid x => fx.PublishAsync((RefundRequested)x.Message!),
                RefundRequested r => fx.PublishAsync(r),
                _ => throw new InvalidOperationException(),
            }));
        }

        var expectRejected = invalid.Where(i => i.RawJson is null).ToList();
        var deadline = DateTime.UtcNow + Deadline;
        while ((valid.Any(v => fx.Outcomes.For(v.RequestId).Count == 0) || expectRejected.Any(i => RefundRejectionOf(i) is null))
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var dead = await fx.DrainAsync(RefundRequestedConsumer.QueueName + "_error",
            found => found.Any(d => d.RequestId == nested) && found.Any(d => d.RequestId == deeplyNested), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2));

        var succeeded = valid.Count(v => fx.Outcomes.For(v.RequestId).Any(e => e.Message is RefundSucceeded));
        var validIds = valid.Select(v => v.RequestId).ToHashSet();
        var validDead = dead.Count(d => d.RequestId is { } id && validIds.Contains(id));
        var summary = new StringBuilder()
            .AppendLine($"valid: {succeeded}/{valid.Count} RefundSucceeded, {validDead} in refund-requested_error")
            .AppendLine($"error queue: {dead.Count} messages");
        foreach (var i in expectRejected)
        {
            var events = fx.Outcomes.For(i.RequestId);
            var rejected = RefundRejectionOf(i);
            summary.AppendLine($"  {i.Label}: {(rejected is null ? $"no RefundRejected ({events.Count} events, in error queue: {dead.Any(d => d.RequestId == i.RequestId)})" : string.Join("; ", rejected.Errors.Select(e => $"{e.Field} {e.Rule}")))}");
        }

        output.WriteLine(summary.ToString());
        Assert.True(succeeded == valid.Count && validDead == 0, summary.ToString());
        foreach (var i in expectRejected)
        {
            var rejected = RefundRejectionOf(i);
            Assert.True(rejected is not null, $"{i.Label}: no RefundRejected.{Environment.NewLine}{summary}");
            Assert.True(rejected.Errors.Any(e => Names(e, i)),
                $"{i.Label}: expected {i.Field} {i.Rule}, got {string.Join("; ", rejected.Errors.Select(e => $"{e.Field} {e.Rule}"))}");
        }

        // The poison that cannot be read is in the error queue, each message alone with its reason; nothing else is.
        Assert.Equal(2, dead.Count);
        Assert.Equal(new[] { nested, deeplyNested }.Order(), dead.Select(d => d.RequestId ?? Guid.Empty).Order());
        Assert.All(dead, d =>
        {
            Assert.Equal("fault", d.Reason);
            Assert.False(string.IsNullOrWhiteSpace(d.FaultMessage));
            // Not retried: a message that cannot be read does not get better by waiting.
            Assert.Equal(0, d.RetryCount);
        });

        // Nothing invalid reached a provider.
        await using var db = fx.Database.CreateContext();
        var invalidIds = expectRejected.Select(i => i.RequestId).ToList();
        Assert.Equal(0, await db.Operations.CountAsync(o => invalidIds.Contains(o.RequestId) && o.State != OperationState.Rejected));
        Assert.Equal(0, await db.Attempts.CountAsync(a => db.Operations.Any(o => o.Id == a.OperationId && invalidIds.Contains(o.RequestId))));
    }

    [Fact]
    public async Task Should_run_every_valid_cancel_and_reject_each_invalid_one_when_invalid_cancels_share_the_batch()
    {
        await fx.VirtualHost.GetMessagesAsync(CancelRequestedConsumer.QueueName + "_error", 1000);
        var valid = Enumerable.Range(0, 20).Select(_ => Requests.IfortepayCancel(fx.Sandbox.Original("ifortepay"))).ToList();
        var cancel = () => Requests.IfortepayCancel(fx.Sandbox.Original("ifortepay"));
        List<Invalid> invalid =
        [
            Cancel("NUL in reason", cancel() with { Reason = "Order\0cancelled" }, "reason", "controlCharacters"),
            Cancel("merchantId over-long", cancel() with { MerchantId = new string('M', 100) }, "merchantId", "maxLength:64"),
            Cancel("originalPartnerReferenceNo over-long", cancel() with { OriginalPartnerReferenceNo = new string('O', 200) }, "originalPartnerReferenceNo", "maxLength:64"),
            Cancel("externalId over-long", cancel() with { ExternalId = new string('5', 100) }, "externalId", "maxLength:36"),
            Cancel("NUL in additionalInfo", cancel() with { AdditionalInfo = new Dictionary<string, string> { ["type"] = "DYNAMIC\0" } }, "additionalInfo", "controlCharacters"),
        ];

        var all = new List<object>(valid);
        for (var i = 0; i < invalid.Count; i++)
        {
            all.Insert((i + 1) * 4, invalid[i]);
        }

        await Task.WhenAll(all.Select(m => m is Invalid x ? fx.PublishAsync((CancelRequested)x.Message!) : fx.PublishAsync((CancelRequested)m)));
        await WaitForOutcomesAsync([.. valid.Select(v => v.RequestId), .. invalid.Select(i => i.RequestId)]);

        Assert.All(valid, v => Assert.IsType<CancelSucceeded>(Assert.Single(fx.Outcomes.For(v.RequestId)).Message));
        foreach (var i in invalid)
        {
            var rejected = Assert.IsType<CancelRejected>(Assert.Single(fx.Outcomes.For(i.RequestId)).Message);
            Assert.True(rejected.Errors.Any(e => Names(e, i)),
                $"{i.Label}: expected {i.Field} {i.Rule}, got {string.Join("; ", rejected.Errors.Select(e => $"{e.Field} {e.Rule}"))}");
        }

        var dead = await fx.DrainAsync(CancelRequestedConsumer.QueueName + "_error", _ => false, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Empty(dead);
    }

    [Fact]
    public async Task Should_move_only_the_refused_message_to_the_error_queue_when_PostgreSQL_refuses_one_insert_of_a_batch()
    {
        // A rule the validator knows nothing about: PostgreSQL refuses the insert of one valid-looking request.
        const string constraint = "batch_test_forbidden_reason";
        await ExecuteAsync($"ALTER TABLE operations ADD CONSTRAINT {constraint} CHECK (reason IS NULL OR strpos(reason, 'FORBIDDEN') = 0) NOT VALID");
        try
        {
            await fx.VirtualHost.GetMessagesAsync(RefundRequestedConsumer.QueueName + "_error", 1000);
            var valid = Enumerable.Range(0, 40).Select(i => i % 2 == 0
                ? Requests.BankRefund(fx.Sandbox.Original("bnc"))
                : Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant))).ToList();
            var poison = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant)) with { Reason = "FORBIDDEN by a test constraint" };
            var all = new List<RefundRequested>(valid);
            all.Insert(17, poison);

            await Task.WhenAll(all.Select(fx.PublishAsync));
            await WaitForOutcomesAsync([.. valid.Select(v => v.RequestId)]);
            var dead = await fx.DrainAsync(RefundRequestedConsumer.QueueName + "_error",
                found => found.Any(d => d.RequestId == poison.RequestId), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));

            Assert.All(valid, v => Assert.IsType<RefundSucceeded>(Assert.Single(fx.Outcomes.For(v.RequestId)).Message));
            var message = Assert.Single(dead);
            Assert.Equal(poison.RequestId, message.RequestId);
            Assert.Equal("fault", message.Reason);
            Assert.Contains(constraint, message.FaultMessage, StringComparison.Ordinal);
            Assert.Contains("23514", message.FaultMessage, StringComparison.Ordinal);
            // Not retried: PostgreSQL refusing the data does not change by waiting.
            Assert.Equal(0, message.RetryCount);
            Assert.Empty(fx.Outcomes.For(poison.RequestId));
            Assert.Empty(fx.Sandbox.Ledger.Find("nicepay", poison.OriginalReferenceNo!)!.Refunds);
        }
        finally
        {
            await ExecuteAsync($"ALTER TABLE operations DROP CONSTRAINT IF EXISTS {constraint}");
        }
    }

    [Fact]
    public async Task Should_reject_each_of_two_different_requests_without_a_RequestId_with_its_own_rejection()
    {
        var first = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant)) with { RequestId = Guid.Empty };
        var second = Requests.BankRefund(fx.Sandbox.Original("bnc")) with { RequestId = Guid.Empty };

        await fx.PublishAsync(first);
        await fx.PublishAsync(second);

        // Recognising a redelivery by RequestId would take the second for the first and re-publish the first's
        // rejection; without a RequestId each message is rejected on its own, under its own key.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<RefundRejected> rejected;
        do
        {
            await Task.Delay(100);
            rejected = [.. fx.Outcomes.For(Guid.Empty).Select(e => e.Message).OfType<RefundRejected>()
                .Where(r => r.PartnerRefundNo == first.PartnerRefundNo || r.PartnerRefundNo == second.PartnerRefundNo)];
        }
        while (rejected.Count < 2 && DateTime.UtcNow < deadline);

        Assert.Equal(2, rejected.Count);
        Assert.Equal(new[] { first.PartnerRefundNo, second.PartnerRefundNo }.Order(), rejected.Select(r => r.PartnerRefundNo).Order());
        Assert.All(rejected, r => Assert.Contains(r.Errors, e => e.Field == "requestId" && e.Rule == "mandatory"));
        await using var db = fx.Database.CreateContext();
        Assert.Equal(2, await db.Operations.CountAsync(o => o.RequestId == Guid.Empty
            && (o.PartnerRefundNo == first.PartnerRefundNo || o.PartnerRefundNo == second.PartnerRefundNo)));
    }

    // By RequestId and key: another test also publishes a request without a RequestId. The event carries the key as
    // recorded, with control characters replaced by spaces (the test data's keys are short).
    private RefundRejected? RefundRejectionOf(Invalid i)
        => fx.Outcomes.For(i.RequestId).Select(e => e.Message).OfType<RefundRejected>()
            .FirstOrDefault(r => r.PartnerRefundNo == new string([.. ((RefundRequested)i.Message!).PartnerRefundNo.Select(c => char.IsControl(c) ? ' ' : c)]));

    // additionalInfo errors name the entry when they can ("additionalInfo.note").
    private static bool Names(RejectionError e, Invalid i)
        => (e.Field == i.Field || e.Field.StartsWith(i.Field + ".", StringComparison.Ordinal)) && e.Rule.StartsWith(i.Rule, StringComparison.Ordinal);

    private static Invalid Refund(string label, RefundRequested m, string field, string rule) => new(label, m, field, rule, m.RequestId);

    private static Invalid Cancel(string label, CancelRequested m, string field, string rule) => new(label, m, field, rule, m.RequestId);

    private static string NestedRefundJson(RefundRequested m, int depth)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(m with { AdditionalInfo = null }, WebJson);
        var nested = new StringBuilder("{\"cancelType\":\"2\",\"deep\":");
        for (var i = 0; i < depth; i++)
        {
            nested.Append("{\"a\":");
        }

        nested.Append("\"x\"").Append('}', depth).Append('}');
        return json[..^1] + ",\"additionalInfo\":" + nested + "}";
    }

    private async Task WaitForOutcomesAsync(IReadOnlyCollection<Guid> ids)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (ids.Any(id => fx.Outcomes.For(id).Count == 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var cmd = fx.Database.DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }
}
