using RefundWorker.Operations;
using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Snap;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// A send that follows an unknown outcome is reconciliation, whatever the status query said in between: the first
/// send may land after the query (then the re-send meets its trace: the refundable remainder used up, or the
/// partnerRefundNo already taken). Its refusal must lead to another query or to NeedsReview, never to Failed.
/// </summary>
public sealed class ReconcilingResendTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 22, 8, 0, 1, TimeSpan.Zero);

    private static readonly WorkerOptions Options = new()
    {
        ReconcileSchedule = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)],
        Defaults = new ProviderWorkerOptions { MaxAttempts = 3, BackoffBase = TimeSpan.FromSeconds(2), BackoffMax = TimeSpan.FromSeconds(60) },
    };

    private readonly OperationStateMachine _machine = new(Options);

    private static readonly Operation Refund = new() { Kind = OperationKind.Refund, Provider = "nicepay", PartnerRefundNo = "RF1", Amount = 10_000m };

    /// <summary>Every refusal a provider may answer a re-send with (SNAP's permanent and "already processed" codes).</summary>
    public static TheoryData<string> Refusals => new()
    {
        "4007800", "4007801", "4007802", "4017800", "4037802", "4037805", "4037814", "4037815",
        "4047801", "4047813", "4097801",
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Should_query_again_instead_of_failing_when_a_resend_after_an_unknown_outcome_is_refused(string code)
    {
        var d = _machine.AfterSend(Refund, Answer(code), hasQuery: true, reconciling: true, attempts: 2, queries: 1, Now);

        Assert.Equal(OperationState.Reconciling, d.State);
        Assert.Equal(Now + TimeSpan.FromSeconds(30), d.NextAt);
        Assert.Null(d.ErrorCode);
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Should_need_review_when_a_refused_resend_comes_after_the_last_query_of_the_schedule(string code)
    {
        var d = _machine.AfterSend(Refund, Answer(code), hasQuery: true, reconciling: true, attempts: 4, queries: 3, Now);

        Assert.Equal(OperationState.NeedsReview, d.State);
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Should_fail_a_first_send_refused_with_the_same_code_when_no_outcome_was_ever_unknown(string code)
    {
        // The control: the same answer to a first send is final, except 409xx01 ("already processed": a query tells).
        var d = _machine.AfterSend(Refund, Answer(code), hasQuery: true, reconciling: false, attempts: 1, queries: 0, Now);

        Assert.Equal(code == "4097801" ? OperationState.Reconciling : OperationState.Failed, d.State);
    }

    private static ProviderCall Answer(string code)
    {
        var parsed = ResponseCode.Parse(code);
        return new ProviderCall(CallKind.Send, ResponseClassifier.Classify(parsed), parsed.HttpStatus, parsed, "msg", null, "1", Now, TimeSpan.FromMilliseconds(5), null);
    }
}
