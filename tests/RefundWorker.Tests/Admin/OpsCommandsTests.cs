using System.CommandLine;
using System.Text.Json;
using RabbitMQ.Client;
using RefundWorker.Cli;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// <c>RefundWorker ops</c> against the running admin API: the key from the environment only, documented exit codes,
/// tables and --json, a dry run and a progress bar on bulk replay, resolve once.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class OpsCommandsTests(AdminFixture fx)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private async Task<(int Exit, string Out, string Err)> OpsAsync(string? key, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new Dictionary<string, string?> { [OpsCommands.KeyVariable] = key, [OpsCommands.UrlVariable] = AdminFixture.Address(fx.Worker).ToString() };
        var command = OpsCommands.Create(name => env.GetValueOrDefault(name), pollInterval: TimeSpan.FromMilliseconds(100));
        var exit = await command.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Should_exit_2_without_a_key_in_the_environment_and_3_with_a_wrong_or_reader_key()
    {
        var (noKey, _, err) = await OpsAsync(null, "dead-letters", "list");
        var (wrong, _, _) = await OpsAsync(fx.WrongKey, "dead-letters", "list");
        var (reader, _, readerErr) = await OpsAsync(fx.ReaderKey, "providers", "pause", "nicepay", "--reason", "incident");
        var (readerList, _, _) = await OpsAsync(fx.ReaderKey, "audit");

        Assert.Equal(OpsExit.Usage, noKey);
        Assert.Contains(OpsCommands.KeyVariable, err, StringComparison.Ordinal);
        Assert.Equal(OpsExit.Denied, wrong);
        Assert.Equal(OpsExit.Denied, reader);
        Assert.Contains("403", readerErr, StringComparison.Ordinal);
        Assert.Equal(OpsExit.Ok, readerList);
    }

    [Fact]
    public async Task Should_list_dry_run_and_replay_a_group_with_a_progress_bar_then_refuse_a_second_replay()
    {
        var requests = Enumerable.Range(0, 25).Select(_ => Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant))).ToList();
        var cause = "broker-" + Guid.NewGuid().ToString("N")[..8];
        await PutFaultedAsync(requests, cause);
        var fingerprint = await AdminFixture.EventuallyAsync(async () =>
        {
            var (_, o, _) = await OpsAsync(fx.ReaderKey, "dead-letters", "groups", "--json");
            return JsonDocument.Parse(o).RootElement.GetProperty("groups").EnumerateArray()
                .FirstOrDefault(g => g.GetProperty("sampleReason").GetString()!.Contains(cause, StringComparison.Ordinal) && g.GetProperty("count").GetInt64() == requests.Count)
                is { ValueKind: JsonValueKind.Object } g ? g.GetProperty("fingerprint").GetString() : null;
        }, TimeSpan.FromSeconds(30), "the group");

        var (groupsExit, table, _) = await OpsAsync(fx.ReaderKey, "dead-letters", "groups");
        Assert.Equal(0, groupsExit);
        Assert.Contains("FINGERPRINT", table, StringComparison.Ordinal);
        Assert.Contains(fingerprint, table, StringComparison.Ordinal);

        var (noReason, _, noReasonErr) = await OpsAsync(fx.OperatorKey, "dead-letters", "replay", "--fingerprint", fingerprint);
        Assert.Equal(OpsExit.Invalid, noReason);
        Assert.Contains("reason", noReasonErr, StringComparison.Ordinal);

        var (dry, dryOut, _) = await OpsAsync(fx.OperatorKey, "dead-letters", "replay", "--fingerprint", fingerprint, "--reason", "broker back", "--dry-run");
        Assert.Equal(0, dry);
        Assert.Contains($"{requests.Count} would be replayed", dryOut, StringComparison.Ordinal);

        var (run, runOut, runErr) = await OpsAsync(fx.OperatorKey, "dead-letters", "replay", "--fingerprint", fingerprint, "--reason", "broker back");
        Assert.Equal(0, run);
        // Redirected (as here) the progress is a plain line per change of the counts, ending on the final ones.
        Assert.Contains($"{requests.Count}/{requests.Count}  replayed {requests.Count}, skipped 0, failed 0", runErr, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', runErr);
        Assert.Contains($"Completed: {requests.Count} replayed, 0 skipped, 0 failed", runOut, StringComparison.Ordinal);
        await fx.Outcomes.WaitForAllAsync([.. requests.Select(r => r.RequestId)], TimeSpan.FromSeconds(60));

        var (_, listJson, _) = await OpsAsync(fx.ReaderKey, "dead-letters", "list", "--fingerprint", fingerprint, "--json", "--limit", "1");
        var id = JsonDocument.Parse(listJson).RootElement.GetProperty("items")[0].GetProperty("id").GetString()!;
        var (again, _, againErr) = await OpsAsync(fx.OperatorKey, "dead-letters", "replay", id, "--reason", "again");
        Assert.Equal(OpsExit.Conflict, again);
        Assert.Contains("already-replayed", againErr, StringComparison.Ordinal);
        var (show, showOut, _) = await OpsAsync(fx.ReaderKey, "dead-letters", "show", id);
        Assert.Equal(0, show);
        Assert.Contains("status: Replayed", showOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_resolve_a_NeedsReview_refund_once_and_show_it_with_its_resolution_and_audit()
    {
        var request = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
        var op = OperationFactory.FromMessage(request, DateTimeOffset.UtcNow - TimeSpan.FromDays(8));
        op.State = OperationState.Pending;
        op.NextAttemptAt = DateTimeOffset.UtcNow;
        await using (var accept = await new OperationStore(fx.Database.DataSource).BeginAcceptAsync(CancellationToken.None))
        {
            await accept.InsertOperationsAsync([op], TimeSpan.FromMinutes(1), CancellationToken.None);
            await accept.CommitAsync(CancellationToken.None);
        }

        await fx.Outcomes.WaitForAsync<RefundNeedsReview>(request.RequestId);
        var (listed, listOut, _) = await OpsAsync(fx.ReaderKey, "operations", "list", "--state", "NeedsReview", "--key", request.PartnerRefundNo);
        Assert.Equal(0, listed);
        Assert.Contains(op.Id.ToString(), listOut, StringComparison.Ordinal);

        var args = new[] { "operations", "resolve", op.Id.ToString(), "--outcome", "failed", "--evidence", "provider ticket 5531: refund never made", "--reason", "provider confirmed" };
        var (first, firstOut, _) = await OpsAsync(fx.OperatorKey, args);
        var (second, _, secondErr) = await OpsAsync(fx.OperatorKey, args);

        Assert.Equal(0, first);
        Assert.Contains("resolved Failed", firstOut, StringComparison.Ordinal);
        Assert.Equal(OpsExit.Conflict, second);
        Assert.Contains("needs-review", secondErr, StringComparison.Ordinal);
        var failed = (RefundFailed)(await AdminFixture.EventuallyAsync(() => Task.FromResult(fx.Outcomes.For(request.RequestId).Select(e => e.Message).OfType<RefundFailed>().FirstOrDefault())))!;
        Assert.Equal("resolved_failed", failed.ErrorCode);

        var (show, showOut, _) = await OpsAsync(fx.ReaderKey, "operations", "show", "--provider", "nicepay", "--key", request.PartnerRefundNo);
        Assert.Equal(0, show);
        Assert.Contains("resolvedBy: " + AdminFixture.OperatorName, showOut, StringComparison.Ordinal);
        Assert.Contains("operation.resolve", showOut, StringComparison.Ordinal);
        var (audit, auditOut, _) = await OpsAsync(fx.ReaderKey, "audit", "--target", $"operation:{op.Id}", "--json");
        Assert.Equal(0, audit);
        Assert.Equal(2, JsonDocument.Parse(auditOut).RootElement.GetProperty("items").GetArrayLength());
    }

    private async Task PutFaultedAsync(IReadOnlyList<RefundRequested> requests, string cause)
    {
        var factory = new ConnectionFactory { Uri = fx.VirtualHost.Amqp };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var r in requests)
        {
            var id = Guid.NewGuid();
            var props = new BasicProperties
            {
                ContentType = "application/vnd.masstransit+json", MessageId = id.ToString(), Persistent = true,
                Headers = new Dictionary<string, object?>
                {
                    ["MT-Reason"] = "fault", ["MT-Fault-ExceptionType"] = "System.TimeoutException", ["MT-Fault-Message"] = $"Timed out talking to {cause}",
                    ["MT-Fault-Timestamp"] = DateTimeOffset.UtcNow.ToString("O"),
                },
            };
            await channel.BasicPublishAsync(string.Empty, "refund-requested_error", false, props,
                AdminFixture.Envelope("urn:message:RefundWorker.Contracts:RefundRequested", JsonSerializer.SerializeToElement(r, Web), id));
        }
    }
}
