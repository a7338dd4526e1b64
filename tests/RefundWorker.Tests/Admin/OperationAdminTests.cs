using System.Net;
using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;
using RefundWorker.Sandbox;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// Stuck operations: resolve a NeedsReview refund by hand (one outcome event through the outbox, a second resolve
/// refused), and reconcile one now (the provider is queried, recorded as an attempt, and the state machine decides).
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class OperationAdminTests(AdminFixture fx)
{
    [Fact]
    public async Task Should_publish_exactly_one_outcome_when_a_NeedsReview_refund_is_resolved_and_refuse_a_second_resolve()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        var id = await InsertPastDeadlineAsync(request);
        var review = await fx.Outcomes.WaitForAsync<RefundNeedsReview>(request.RequestId);
        Assert.NotNull(review);
        using var http = fx.Client(fx.OperatorKey);

        var (noEvidence, p0) = await http.PostAsync($"/admin/operations/{id}/resolve", new { outcome = "succeeded", reason = "settled" });
        Assert.Equal(HttpStatusCode.BadRequest, noEvidence);
        Assert.Equal("evidence", p0.Str("field"));

        var (ok, resolved) = await http.PostAsync($"/admin/operations/{id}/resolve", new
        {
            outcome = "succeeded",
            referenceNo = "NICEPAY-REF-778899",
            evidence = "NICEPAY settlement report 2026-11-30 line 4411 shows the refund",
            reason = "Provider confirmed by email, ticket OPS-1234",
        });
        Assert.Equal(HttpStatusCode.OK, ok);
        var succeeded = await OutcomeAsync<RefundSucceeded>(request.RequestId);
        Assert.Equal("NICEPAY-REF-778899", succeeded.ReferenceNo);
        Assert.Equal(request.Amount, succeeded.Amount);

        var (second, refusal) = await http.PostAsync($"/admin/operations/{id}/resolve", new { outcome = "failed", evidence = "x", reason = "changed my mind" });
        Assert.Equal(HttpStatusCode.Conflict, second);
        Assert.Equal("needs-review", refusal.Str("rule"));

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Single(fx.Outcomes.For(request.RequestId), e => e.Message is RefundSucceeded or RefundFailed);
        var (_, op) = await http.GetJsonAsync($"/admin/operations/{id}");
        Assert.Equal("Succeeded", op.Str("state"));
        var resolution = op.GetProperty("resolution");
        Assert.Equal(AdminFixture.OperatorName, resolution.Str("resolvedBy"));
        Assert.Contains("line 4411", resolution.Str("evidence"), StringComparison.Ordinal);
        Assert.Equal(resolved.Str("eventId"), resolution.Str("eventId"));
        var events = op.GetProperty("events").EnumerateArray().ToList();
        Assert.Contains(events, e => e.Str("type") == typeof(RefundSucceeded).FullName && e.GetProperty("delivered").GetBoolean());
        var audit = op.GetProperty("audit").EnumerateArray().ToList();
        Assert.Contains(audit, a => a.Str("action") == "operation.resolve" && a.Str("outcome") == "ok");
        Assert.Equal(2, audit.Count(a => a.Str("action") == "operation.resolve" && a.Str("outcome") == "refused"));

        var (_, byKey) = await http.GetJsonAsync($"/admin/operations/by-key/nicepay/{request.PartnerRefundNo}");
        Assert.Equal(id.ToString(), byKey.Str("id"));
    }

    [Fact]
    public async Task Should_query_the_provider_now_and_let_the_state_machine_decide_when_reconcile_is_asked()
    {
        const string provider = WorkerFixture.HistoryProvider;
        var original = fx.Sandbox.Original(provider, merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original) with { Provider = provider };
        // The refund lands but its answer is lost, and every status query fails: NeedsReview, though it happened.
        fx.Sandbox.Faults.Script(provider, SandboxOperation.Refund, FaultStep.Of(FaultKind.LostResponse504));
        fx.Sandbox.Faults.Script(provider, SandboxOperation.Query, [.. Enumerable.Repeat(FaultStep.Of(FaultKind.Error500), 3)]);
        await fx.PublishAsync(request);
        await fx.Outcomes.WaitForAsync<RefundNeedsReview>(request.RequestId);
        var id = await fx.Database.ScalarAsync<Guid>("SELECT id FROM operations WHERE request_id = $1", request.RequestId);
        var queriesBefore = await fx.Database.ScalarAsync<long>("SELECT count(*) FROM attempts WHERE operation_id = $1 AND action = 'query'", id);
        using var http = fx.Client(fx.OperatorKey);

        var (status, body) = await http.PostAsync($"/admin/operations/{id}/reconcile", new { reason = "provider's status API is back" });
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("NeedsReview", body.Str("previousState"));

        var succeeded = await OutcomeAsync<RefundSucceeded>(request.RequestId);
        Assert.Equal(1, succeeded.Attempts);
        Assert.Equal(queriesBefore + 1, await fx.Database.ScalarAsync<long>("SELECT count(*) FROM attempts WHERE operation_id = $1 AND action = 'query'", id));
        Assert.Single(fx.Sandbox.Ledger.Find(provider, original.OriginalReferenceNo)!.Refunds);

        // Succeeded is final: reconcile is refused now.
        var (refused, problem) = await http.PostAsync($"/admin/operations/{id}/reconcile", new { reason = "again" });
        Assert.Equal(HttpStatusCode.Conflict, refused);
        Assert.Equal("state", problem.Str("rule"));
    }

    /// <summary>The first event of type <typeparamref name="T"/> for the request (after its NeedsReview).</summary>
    private async Task<T> OutcomeAsync<T>(Guid requestId)
        where T : class
        => (T)(await AdminFixture.EventuallyAsync(() => Task.FromResult(fx.Outcomes.For(requestId).Select(e => e.Message).OfType<T>().FirstOrDefault()), WorkerFixture.OutcomeTimeout, typeof(T).Name))!;

    /// <summary>An accepted refund due now and past Worker:MaxOperationAge: the worker sends it to NeedsReview without a call.</summary>
    private async Task<Guid> InsertPastDeadlineAsync(RefundRequested request)
    {
        var op = OperationFactory.FromMessage(request, DateTimeOffset.UtcNow - TimeSpan.FromDays(8));
        op.State = OperationState.Pending;
        op.NextAttemptAt = DateTimeOffset.UtcNow;
        await using var accept = await new OperationStore(fx.Database.DataSource).BeginAcceptAsync(CancellationToken.None);
        Assert.Contains(op.Id, await accept.InsertOperationsAsync([op], TimeSpan.FromMinutes(1), CancellationToken.None));
        await accept.CommitAsync(CancellationToken.None);
        return op.Id;
    }
}
