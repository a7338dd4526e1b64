using RefundWorker.Operations;
using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Snap;

namespace RefundWorker.Tests.Worker;

/// <summary>The classification table (docs/protocol.md#classification), row by row, without I/O.</summary>
public sealed class OperationStateMachineTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 22, 8, 0, 1, TimeSpan.Zero);

    private static readonly WorkerOptions Options = new()
    {
        ReconcileSchedule = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)],
        Defaults = new ProviderWorkerOptions { MaxAttempts = 3, BackoffBase = TimeSpan.FromSeconds(2), BackoffMax = TimeSpan.FromSeconds(60) },
    };

    private readonly OperationStateMachine _machine = new(Options);

    private static readonly Operation Refund = new() { Kind = OperationKind.Refund, Provider = "nicepay", PartnerRefundNo = "RF1", Amount = 10_000m };

    // The JSON the worker stores from RefundRequested.AdditionalInfo (OperationFactory).
    private static Operation NicepayRefund(string cancelType) => new()
    {
        Kind = OperationKind.Refund, Provider = "nicepay", PartnerRefundNo = "RF1", Amount = 10_000m,
        AdditionalInfo = $$"""{"cancelType":"{{cancelType}}"}""",
    };

    private static ProviderCall Answer(string code, CallKind kind = CallKind.Send, RefundResponse? refund = null, QueryResponse? query = null)
    {
        var parsed = ResponseCode.Parse(code);
        return new ProviderCall(kind, ResponseClassifier.Classify(parsed), parsed.HttpStatus, parsed, "msg", null, "1", Now, TimeSpan.FromMilliseconds(5), null,
            Refund: refund, Query: query);
    }

    [Fact]
    public void Should_succeed_with_the_reference_when_the_provider_answers_2007800()
    {
        var d = _machine.AfterSend(Refund, Answer("2007800", refund: new RefundResponse { ResponseCode = "2007800", ResponseMessage = "ok", ReferenceNo = "REF9", RefundTime = "2026-01-22T15:00:01+07:00" }),
            hasQuery: true, reconciling: false, attempts: 1, queries: 0, Now);

        Assert.Equal(OperationState.Succeeded, d.State);
        Assert.Equal("REF9", d.ReferenceNo);
        Assert.Equal(new DateTimeOffset(2026, 1, 22, 8, 0, 1, TimeSpan.Zero), d.Time);
    }

    [Theory]
    [InlineData("4037814", "insufficient_funds")]
    [InlineData("4047801", "transaction_not_found")]
    [InlineData("4047813", "invalid_amount")]
    [InlineData("4007802", "invalid_mandatory_field")]
    [InlineData("4017800", "unauthorized")]
    public void Should_fail_for_good_with_a_stable_error_code_when_the_answer_is_permanent(string code, string errorCode)
    {
        var d = _machine.AfterSend(Refund, Answer(code), hasQuery: true, reconciling: false, attempts: 1, queries: 0, Now);

        Assert.Equal(OperationState.Failed, d.State);
        Assert.Equal(errorCode, d.ErrorCode);
    }

    [Theory]
    [InlineData("4297800")]
    [InlineData("4037806")]
    [InlineData("4057801")]
    public void Should_retry_later_with_jittered_backoff_when_the_answer_is_retryable(string code)
    {
        var d = _machine.AfterSend(Refund, Answer(code), hasQuery: true, reconciling: false, attempts: 2, queries: 0, Now);

        Assert.Equal(OperationState.Pending, d.State);
        // Attempt 2: base·2 = 4s, jittered into [2s, 4s].
        Assert.InRange(d.NextAt!.Value - Now, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public void Should_fail_with_retries_exhausted_when_the_last_allowed_attempt_is_retryable()
    {
        var d = _machine.AfterSend(Refund, Answer("4297800"), hasQuery: true, reconciling: false, attempts: 3, queries: 0, Now);

        Assert.Equal(OperationState.Failed, d.State);
        Assert.Equal(ErrorCodes.RetriesExhausted, d.ErrorCode);
    }

    [Theory]
    [InlineData("5007801")]
    [InlineData("5047800")]
    [InlineData("4097800")]
    [InlineData("4097801")]
    [InlineData("4047818")]
    [InlineData("2027800")]
    public void Should_reconcile_at_the_first_step_of_the_schedule_when_the_outcome_is_unknown(string code)
    {
        var d = _machine.AfterSend(Refund, Answer(code), hasQuery: true, reconciling: false, attempts: 1, queries: 0, Now);

        Assert.Equal(OperationState.Reconciling, d.State);
        Assert.Equal(Now + TimeSpan.FromSeconds(5), d.NextAt);
    }

    [Fact]
    public void Should_need_review_when_the_schedule_is_exhausted()
    {
        var d = _machine.EnterReconcile(queriesDone: 2, ResponseCode.Parse("5005101"), Now, "still unknown");

        Assert.Equal(OperationState.NeedsReview, d.State);
    }

    [Theory]
    [InlineData("4097801")]
    [InlineData("4047818")]
    public void Should_read_a_duplicate_as_already_refunded_when_the_provider_has_no_status_query(string code)
    {
        var d = _machine.AfterSend(Refund, Answer(code), hasQuery: false, reconciling: true, attempts: 2, queries: 1, Now);

        Assert.Equal(OperationState.Succeeded, d.State);
    }

    [Fact]
    public void Should_need_review_instead_of_failing_when_a_reconciling_resend_is_refused()
    {
        var d = _machine.AfterSend(Refund, Answer("4047813"), hasQuery: false, reconciling: true, attempts: 2, queries: 1, Now);

        Assert.Equal(OperationState.NeedsReview, d.State);
    }

    [Fact]
    public void Should_keep_reconciling_when_a_reconciling_resend_is_throttled()
    {
        var d = _machine.AfterSend(Refund, Answer("4297800"), hasQuery: false, reconciling: true, attempts: 2, queries: 1, Now);

        Assert.Equal(OperationState.Reconciling, d.State);
        Assert.Equal(Now + TimeSpan.FromSeconds(30), d.NextAt);
    }

    [Fact]
    public void Should_stay_unknown_when_a_partial_refund_meets_status_04_without_a_refunds_list()
    {
        // Another partial refund of the same original also makes it "04": that proves nothing about this one.
        var partial = NicepayRefund(cancelType: "2");
        var q = new QueryResponse { ResponseCode = "2005100", ResponseMessage = "ok", LatestTransactionStatus = "04" };

        Assert.Equal(QueryVerdict.Unknown, OperationStateMachine.Interpret(partial, Answer("2005100", CallKind.Query, query: q)).Verdict);
    }

    [Fact]
    public void Should_stay_unknown_when_a_refund_without_cancelType_meets_status_04_without_a_refunds_list()
    {
        var q = new QueryResponse { ResponseCode = "2005100", ResponseMessage = "ok", LatestTransactionStatus = "04" };

        Assert.Equal(QueryVerdict.Unknown, OperationStateMachine.Interpret(Refund, Answer("2005100", CallKind.Query, query: q)).Verdict);
    }

    [Fact]
    public void Should_find_the_refund_effected_when_a_full_refund_meets_status_04_without_a_refunds_list()
    {
        var full = NicepayRefund(cancelType: "1");
        var q = new QueryResponse { ResponseCode = "2005100", ResponseMessage = "ok", LatestTransactionStatus = "04" };

        Assert.Equal(QueryVerdict.Effected, OperationStateMachine.Interpret(full, Answer("2005100", CallKind.Query, query: q)).Verdict);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void Should_find_the_refund_not_effected_when_status_is_00_without_a_refunds_list(string cancelType)
    {
        var q = new QueryResponse { ResponseCode = "2005100", ResponseMessage = "ok", LatestTransactionStatus = "00" };

        Assert.Equal(QueryVerdict.NotEffected, OperationStateMachine.Interpret(NicepayRefund(cancelType), Answer("2005100", CallKind.Query, query: q)).Verdict);
    }

    [Theory]
    [InlineData("05", QueryVerdict.Effected)]
    [InlineData("00", QueryVerdict.NotEffected)]
    [InlineData("03", QueryVerdict.Unknown)]
    public void Should_read_the_cancel_from_latestTransactionStatus_when_querying_a_cancel(string status, QueryVerdict expected)
    {
        var cancel = new Operation { Kind = OperationKind.Cancel, Provider = "ifortepay", OriginalPartnerReferenceNo = "ORD1" };
        var q = new QueryResponse { ResponseCode = "2005100", ResponseMessage = "ok", LatestTransactionStatus = status };

        Assert.Equal(expected, OperationStateMachine.Interpret(cancel, Answer("2005100", CallKind.Query, query: q)).Verdict);
    }

    [Theory]
    [InlineData("4045101", QueryVerdict.NotEffected)]
    [InlineData("5005101", QueryVerdict.Unknown)]
    [InlineData("4295100", QueryVerdict.Unknown)]
    public void Should_conclude_only_what_a_failed_query_proves_when_the_query_fails(string code, QueryVerdict expected)
        => Assert.Equal(expected, OperationStateMachine.Interpret(Refund, Answer(code, CallKind.Query)).Verdict);

    [Fact]
    public void Should_read_iFortePay_cancelTime_as_Jakarta_time_when_it_has_no_offset()
        => Assert.Equal(new DateTimeOffset(2020, 10, 20, 10, 56, 57, TimeSpan.Zero), OperationStateMachine.ParseTime("2020-10-20T17:56:57"));
}
