using System.Diagnostics;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;
using RefundWorker.Sandbox;
using RefundWorker.Telemetry;
using RefundWorker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RefundWorker.Tests.Telemetry;

/// <summary>
/// Work resumed later is one click from the request: the first step runs in the request's trace, every step the
/// scheduler claims back (a retry after its backoff, a reconciliation step, an operation left in flight under an
/// expired lease) starts a trace of its own linked to the request's recorded context, and an operator's resolve
/// links its admin request to it. From an in-memory export of the real pipeline (RabbitMQ, PostgreSQL, the sandbox).
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TraceLinkTests(TelemetryFixture fx, ITestOutputHelper output) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fx.Sandbox.Faults.ClearScript("nicepay");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_link_a_retry_after_backoff_to_the_request_trace()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.Error429));

        var requestTrace = await PublishInTraceAsync(request);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        var (first, resumed) = await StepsAsync(request.PartnerRefundNo!, requestTrace, resumedCount: 1);
        var retry = Assert.Single(resumed);
        Assert.Equal(OperationTrace.Resumed.Retry, retry.GetTagItem("refundworker.resumed"));
        Assert.Equal("Retryable", Assert.Single(Executes(first)).GetTagItem("refundworker.classification"));
        Assert.Equal("Success", Assert.Single(Executes(retry)).GetTagItem("refundworker.classification"));

        // The attempt trail names the trace of each call: the first in the request's, the retry in its own.
        var traces = await AttemptTracesAsync(request.RequestId);
        Assert.Equal([requestTrace.ToHexString(), retry.TraceId.ToHexString()], traces);
    }

    [Fact]
    public async Task Should_link_a_reconciliation_step_to_the_request_trace()
    {
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        fx.Sandbox.Faults.Script("nicepay", SandboxOperation.Refund, FaultStep.Of(FaultKind.Error503));

        var requestTrace = await PublishInTraceAsync(request);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);

        var (first, resumed) = await StepsAsync(request.PartnerRefundNo!, requestTrace, resumedCount: 1);
        Assert.Equal("OutcomeUnknown", Assert.Single(Executes(first)).GetTagItem("refundworker.classification"));
        var reconcile = Assert.Single(resumed);
        Assert.Equal(OperationTrace.Resumed.Reconcile, reconcile.GetTagItem("refundworker.resumed"));
        Assert.Equal(nameof(WorkMode.Reconcile), reconcile.GetTagItem("refundworker.mode"));
        // The query, then the send it allowed, both under the reconciliation step.
        Assert.Equal(["Query", "Send"], Executes(reconcile).OrderBy(s => s.StartTimeUtc).Select(s => s.GetTagItem("refundworker.action")));
    }

    [Fact]
    public async Task Should_link_the_pick_up_of_an_operation_left_in_flight_under_an_expired_lease()
    {
        // What a killed replica leaves behind: a row in Sending, leased by a node that is gone, whose lease ran out.
        // It is written as the accept writes it, with a lease of a millisecond and a request trace of its own.
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        var requestContext = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var op = OperationFactory.FromMessage(request, DateTimeOffset.UtcNow);
        op.State = OperationState.Sending;
        op.LeaseOwner = "killed-replica";
        op.LeaseToken = Guid.NewGuid();
        op.TraceParent = RequestTrace.Format(requestContext);
        await using (var accept = await new OperationStore(fx.Database.DataSource).BeginAcceptAsync(CancellationToken.None))
        {
            var inserted = await accept.InsertOperationsAsync([op], TimeSpan.FromMilliseconds(1), CancellationToken.None);
            Assert.Contains(op.Id, inserted);
            await accept.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(op.TraceParent, await fx.Database.ScalarAsync<string>("SELECT trace_parent FROM operations WHERE id = $1", op.Id));
        var pickUp = await WaitForSpanAsync(s => s.DisplayName == OperationTrace.StepSpan && Equals(s.GetTagItem("refundworker.operation_id"), op.Id.ToString()));
        Print(pickUp);
        Assert.Equal(OperationTrace.Resumed.LeaseExpired, pickUp.GetTagItem("refundworker.resumed"));
        Assert.Equal(nameof(WorkMode.Reconcile), pickUp.GetTagItem("refundworker.mode"));
        Assert.NotEqual(requestContext.TraceId, pickUp.TraceId);
        var link = Assert.Single(pickUp.Links);
        Assert.Equal(requestContext.TraceId, link.Context.TraceId);
        Assert.Equal(requestContext.SpanId, link.Context.SpanId);
    }

    [Fact]
    public async Task Should_link_an_operators_resolve_to_the_request_trace()
    {
        // A refund waiting for a person, as the accept records it, with a request trace of its own.
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        var requestContext = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var op = OperationFactory.FromMessage(request, DateTimeOffset.UtcNow);
        op.State = OperationState.NeedsReview;
        op.CompletedAt = op.CreatedAt;
        op.OutcomeMessage = "waits for a person";
        op.TraceParent = RequestTrace.Format(requestContext);
        await using (var accept = await new OperationStore(fx.Database.DataSource).BeginAcceptAsync(CancellationToken.None))
        {
            Assert.Contains(op.Id, await accept.InsertOperationsAsync([op], TimeSpan.FromSeconds(20), CancellationToken.None));
            await accept.CommitAsync(CancellationToken.None);
        }

        var operatorTrace = await OperatorPostAsync($"/admin/operations/{op.Id}/resolve", new
        {
            outcome = "failed",
            evidence = "the provider's report shows no refund",
            reason = "telemetry test",
        });

        var server = await WaitForSpanAsync(s => s.Kind == ActivityKind.Server && s.TraceId == operatorTrace);
        Print(server);
        var link = Assert.Single(server.Links);
        Assert.Equal(requestContext.TraceId, link.Context.TraceId);
        Assert.Equal(requestContext.SpanId, link.Context.SpanId);
        Assert.Contains(link.Tags ?? [], t => t.Key == RequestTrace.LinkAttribute && Equals(t.Value, "request"));
    }

    [Fact]
    public async Task Should_link_an_operators_replay_of_a_dead_letter_to_the_trace_it_was_first_sent_in()
    {
        // The order system (an OpenTelemetry producer writing a W3C traceparent) forgot externalId and merchantId: the
        // contract cannot be read, so the message is dead-lettered with its headers.
        var request = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
        var firstSend = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var messageId = Guid.NewGuid();
        var poison = new { request.RequestId, request.Provider, request.PartnerRefundNo, request.Amount, request.Currency, request.OriginalReferenceNo };
        await fx.PublishRawAsync("RefundWorker.Contracts:RefundRequested",
            Admin.AdminFixture.Envelope("urn:message:RefundWorker.Contracts:RefundRequested", poison, messageId), messageId.ToString(),
            new Dictionary<string, object?> { [RequestTrace.TraceParentHeader] = RequestTrace.Format(firstSend) });

        var letterId = await Admin.AdminFixture.EventuallyAsync(async () =>
            await fx.Database.ScalarAsync<Guid?>("SELECT id FROM dead_letters WHERE message_id = $1", messageId.ToString()) is { } id ? (object)id : null,
            TimeSpan.FromSeconds(60), "the dead letter");

        var operatorTrace = await OperatorPostAsync($"/admin/dead-letters/{letterId}/replay", new
        {
            reason = "order system sent no externalId; filled in from the order",
            body = System.Text.Json.JsonSerializer.SerializeToElement(request, System.Text.Json.JsonSerializerOptions.Web),
        });

        // The replay is a span of the operator's action, linked to where the letter was first sent.
        var replay = await WaitForSpanAsync(s => s.DisplayName == ReplayTrace.Span && s.TraceId == operatorTrace);
        Print(replay);
        var link = Assert.Single(replay.Links);
        Assert.Equal(firstSend.TraceId, link.Context.TraceId);
        Assert.Equal(firstSend.SpanId, link.Context.SpanId);
        Assert.Equal(letterId.ToString(), replay.GetTagItem("refundworker.dead_letter_id"));

        // The replayed request runs under the replay: its operation records a context in the replay's trace as its
        // request trace, so later retries link there (and from there, to the first send).
        Assert.IsType<RefundSucceeded>((await fx.Outcomes.WaitForAsync(request.RequestId, WorkerFixture.OutcomeTimeout))[0].Message);
        var stored = await fx.Database.ScalarAsync<string>("SELECT trace_parent FROM operations WHERE request_id = $1", request.RequestId);
        Assert.True(RequestTrace.TryParse(stored, out var recorded), $"trace_parent '{stored}'");
        Assert.Equal(operatorTrace, recorded.TraceId);
    }

    /// <summary>
    /// An operator's admin call, made inside a span of the test so that the worker's server span is in its trace;
    /// returns that trace.
    /// </summary>
    private async Task<ActivityTraceId> OperatorPostAsync(string path, object body)
    {
        using var http = new HttpClient { BaseAddress = WorkerFixture.AddressOf(fx.Worker) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", fx.OperatorKey);
        using var call = CapturedSpans.OrderSystem.StartActivity("operator " + path, ActivityKind.Client);
        Assert.NotNull(call);
        using var answer = await http.PostAsync(path, System.Net.Http.Json.JsonContent.Create(body));
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
        return call.TraceId;
    }

    /// <summary>Publishes <paramref name="request"/> inside a span of the test's "order system"; returns its trace.</summary>
    private async Task<ActivityTraceId> PublishInTraceAsync(RefundRequested request)
    {
        using var root = CapturedSpans.OrderSystem.StartActivity("order-system publish", ActivityKind.Producer);
        Assert.NotNull(root);
        await fx.PublishAsync(request);
        return root.TraceId;
    }

    /// <summary>
    /// The request's first step (asserted to be in the request's trace) and the <paramref name="resumedCount"/>
    /// resumed steps (asserted each to be a trace of their own with one link, to the request's trace), and that the
    /// operation row recorded the request's trace.
    /// </summary>
    private async Task<(Activity First, List<Activity> Resumed)> StepsAsync(string partnerRefundNo, ActivityTraceId requestTrace, int resumedCount)
    {
        var stored = await fx.Database.ScalarAsync<string>(
            "SELECT trace_parent FROM operations WHERE partner_refund_no = $1 AND state <> 'Rejected'", partnerRefundNo);
        Assert.True(RequestTrace.TryParse(stored, out var recorded), $"trace_parent '{stored}'");
        Assert.Equal(requestTrace, recorded.TraceId);

        bool Mine(Activity s) => s.DisplayName == OperationTrace.StepSpan && Equals(s.GetTagItem("refundworker.partner_refund_no"), partnerRefundNo);
        await WaitForSpanAsync(s => Mine(s) && s.GetTagItem("refundworker.resumed") is not null, count: resumedCount);
        var steps = fx.Spans.All.Where(Mine).OrderBy(s => s.StartTimeUtc).ToList();
        steps.ForEach(Print);
        var first = Assert.Single(steps, s => s.GetTagItem("refundworker.resumed") is null);
        Assert.Equal(requestTrace, first.TraceId);
        Assert.Empty(first.Links);
        var resumed = steps.Where(s => s.GetTagItem("refundworker.resumed") is not null).ToList();
        Assert.Equal(resumedCount, resumed.Count);
        foreach (var step in resumed)
        {
            Assert.NotEqual(requestTrace, step.TraceId);
            Assert.Equal(default, step.ParentSpanId);
            var link = Assert.Single(step.Links);
            Assert.Equal(recorded.TraceId, link.Context.TraceId);
            Assert.Equal(recorded.SpanId, link.Context.SpanId);
        }

        return (first, resumed);
    }

    private List<Activity> Executes(Activity step)
        => [.. fx.Spans.All.Where(s => s.DisplayName == "operation.execute" && s.ParentSpanId == step.SpanId && s.TraceId == step.TraceId)];

    private async Task<List<string>> AttemptTracesAsync(Guid requestId)
    {
        var joined = await fx.Database.ScalarAsync<string>(
            "SELECT string_agg(a.trace_id, ',' ORDER BY a.number, a.id) FROM attempts a JOIN operations o ON o.id = a.operation_id WHERE o.request_id = $1 AND o.state <> 'Rejected'",
            requestId);
        return [.. joined.Split(',')];
    }

    /// <summary>Spans end (and are exported) after the outcome is committed and published: wait for them.</summary>
    private async Task<Activity> WaitForSpanAsync(Func<Activity, bool> match, int count = 1)
    {
        var deadline = DateTime.UtcNow + WorkerFixture.OutcomeTimeout;
        while (true)
        {
            var found = fx.Spans.All.Where(match).ToList();
            if (found.Count >= count)
            {
                return found[0];
            }

            Assert.True(DateTime.UtcNow < deadline, $"{count} matching span(s) expected, {found.Count} exported");
            await Task.Delay(100);
        }
    }

    private void Print(Activity s) => output.WriteLine($"{s.TraceId} {s.SpanId} parent={s.ParentSpanId} '{s.DisplayName}' links=" +
        string.Join(",", s.Links.Select(l => $"{l.Context.TraceId}/{l.Context.SpanId}")) + " " + string.Join(" ", s.TagObjects.Select(t => $"{t.Key}={t.Value}")));
}
