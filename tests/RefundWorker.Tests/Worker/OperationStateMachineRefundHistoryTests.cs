using RefundWorker.Operations;
using RefundWorker.Persistence;
using RefundWorker.Snap;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// <see cref="OperationStateMachine.Interpret"/> on a status answer that lists the original's refunds (SNAP's
/// <c>refundHistory</c>), and on one that lists none, row by row, without I/O.
/// </summary>
public sealed class OperationStateMachineRefundHistoryTests
{
    private const string Ours = "RF1";
    private const string OriginalOrder = "ORD1";

    // A partial NICEPAY refund of 10,000 (cancelType "2"), as OperationFactory stores it.
    private static Operation Refund(string cancelType = "2", decimal amount = 10_000m) => new()
    {
        Kind = OperationKind.Refund,
        Provider = "nicepay",
        PartnerRefundNo = Ours,
        OriginalPartnerReferenceNo = OriginalOrder,
        Amount = amount,
        Currency = "IDR",
        AdditionalInfo = $$"""{"cancelType":"{{cancelType}}"}""",
    };

    // One refundHistory item as SNAP shapes it: the merchant's reference of the refund in partnerReferenceNo.
    private static RefundHistoryItem Item(string? partnerReferenceNo, string status = RefundHistoryItem.StatusSuccess, string value = "10000.00", string currency = "IDR", string? partnerRefundNo = null) => new()
    {
        RefundNo = "RN-" + (partnerRefundNo ?? partnerReferenceNo),
        PartnerReferenceNo = partnerReferenceNo,
        PartnerRefundNo = partnerRefundNo,
        RefundAmount = new SnapAmount(value, currency),
        RefundStatus = status,
        RefundDate = "2026-01-22T15:00:01+07:00",
    };

    private static QueryResponse Answer(string latestTransactionStatus, params RefundHistoryItem[]? history) => new()
    {
        ResponseCode = "2005100",
        ResponseMessage = "Successful",
        LatestTransactionStatus = latestTransactionStatus,
        RefundHistory = history,
    };

    private static (QueryVerdict Verdict, string? ReferenceNo, DateTimeOffset? Time) Interpret(Operation op, QueryResponse answer)
    {
        var code = ResponseCode.Parse(answer.ResponseCode);
        var call = new ProviderCall(CallKind.Query, ResponseClassifier.Classify(code), 200, code, answer.ResponseMessage, null, "1",
            DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(5), null, Query: answer);
        return OperationStateMachine.Interpret(op, call);
    }

    [Fact]
    public void Should_find_a_partial_refund_effected_with_its_reference_and_date_when_refundHistory_lists_it_as_00()
    {
        var (verdict, reference, time) = Interpret(Refund(), Answer("04", Item("OTHER", value: "5000.00"), Item(Ours)));

        Assert.Equal(QueryVerdict.Effected, verdict);
        Assert.Equal("RN-" + Ours, reference);
        Assert.Equal(new DateTimeOffset(2026, 1, 22, 8, 0, 1, TimeSpan.Zero), time);
    }

    [Fact]
    public void Should_match_on_partnerRefundNo_before_partnerReferenceNo_when_an_item_carries_both()
    {
        // partnerRefundNo present: partnerReferenceNo (here the payment's order) is not the key.
        var ours = Interpret(Refund(), Answer("04", Item(OriginalOrder, partnerRefundNo: Ours)));
        var someoneElses = Interpret(Refund(), Answer("04", Item(Ours, partnerRefundNo: "OTHER")));

        Assert.Equal(QueryVerdict.Effected, ours.Verdict);
        Assert.Equal(QueryVerdict.NotEffected, someoneElses.Verdict);
    }

    [Fact]
    public void Should_compare_amounts_as_decimals_when_the_provider_writes_whole_rupiah()
        => Assert.Equal(QueryVerdict.Effected, Interpret(Refund(), Answer("04", Item(Ours, value: "10000"))).Verdict);

    [Fact]
    public void Should_find_the_refund_not_effected_when_refundHistory_lists_it_as_failed()
        => Assert.Equal(QueryVerdict.NotEffected, Interpret(Refund(), Answer("00", Item(Ours, RefundHistoryItem.StatusFailed))).Verdict);

    [Theory]
    [InlineData(RefundHistoryItem.StatusPending)]
    [InlineData("01")]
    [InlineData("04")]
    [InlineData("05")]
    [InlineData("SUCCESS")]
    [InlineData(null)]
    public void Should_stay_unknown_when_refundHistory_lists_the_refund_with_a_status_that_is_not_00_or_06(string? status)
        => Assert.Equal(QueryVerdict.Unknown, Interpret(Refund(), Answer("04", Item(Ours, status!))).Verdict);

    [Theory]
    [InlineData("9000.00", "IDR")]
    [InlineData("10000.01", "IDR")]
    [InlineData("10.000,00", "IDR")]
    [InlineData("", "IDR")]
    [InlineData("10000.00", "USD")]
    public void Should_never_succeed_when_the_listed_amount_or_currency_is_not_ours(string value, string currency)
        => Assert.Equal(QueryVerdict.Unknown, Interpret(Refund(), Answer("04", Item(Ours, value: value, currency: currency))).Verdict);

    [Fact]
    public void Should_never_succeed_when_the_listed_refund_has_no_amount()
        => Assert.Equal(QueryVerdict.Unknown, Interpret(Refund(), Answer("04", Item(Ours) with { RefundAmount = null })).Verdict);

    [Fact]
    public void Should_stay_unknown_when_the_provider_lists_our_refund_as_booked_twice()
        => Assert.Equal(QueryVerdict.Unknown, Interpret(Refund(), Answer("04", Item(Ours), Item(Ours))).Verdict);

    [Fact]
    public void Should_stay_unknown_when_our_refund_is_listed_as_succeeded_and_again_as_pending()
        => Assert.Equal(QueryVerdict.Unknown, Interpret(Refund(), Answer("04", Item(Ours), Item(Ours, RefundHistoryItem.StatusPending))).Verdict);

    [Fact]
    public void Should_find_the_refund_effected_when_an_earlier_attempt_under_our_key_is_listed_as_failed()
        => Assert.Equal(QueryVerdict.Effected, Interpret(Refund(), Answer("04", Item(Ours, RefundHistoryItem.StatusFailed), Item(Ours))).Verdict);

    [Fact]
    public void Should_find_the_refund_not_effected_when_refundHistory_lists_only_other_refunds()
        => Assert.Equal(QueryVerdict.NotEffected, Interpret(Refund(), Answer("04", Item("OTHER"))).Verdict);

    [Fact]
    public void Should_find_the_refund_not_effected_when_refundHistory_is_empty_and_the_payment_is_not_refunded()
        => Assert.Equal(QueryVerdict.NotEffected, Interpret(Refund(), Answer("00")).Verdict);

    [Fact]
    public void Should_stay_unknown_when_the_payment_is_04_but_refundHistory_lists_no_successful_refund()
    {
        // The list contradicts the status (it lags, or is not the whole list): absence proves nothing.
        Assert.Equal(QueryVerdict.Unknown, Interpret(Refund(), Answer("04")).Verdict);
        Assert.Equal(QueryVerdict.Unknown, Interpret(Refund(), Answer("04", Item("OTHER", RefundHistoryItem.StatusFailed))).Verdict);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(OriginalOrder)]
    public void Should_stay_unknown_when_our_refund_is_absent_but_an_item_does_not_say_which_refund_it_is(string? partnerReferenceNo)
        => Assert.Equal(QueryVerdict.Unknown, Interpret(Refund(), Answer("04", Item(partnerReferenceNo), Item("OTHER"))).Verdict);

    [Fact]
    public void Should_read_the_list_and_not_the_status_when_a_full_refund_is_listed_as_failed()
    {
        // "04" alone would prove a full refund; the list says which refund it was, and it was not ours.
        var full = Refund(cancelType: "1");

        Assert.Equal(QueryVerdict.NotEffected, Interpret(full, Answer("04", Item(Ours, RefundHistoryItem.StatusFailed), Item("OTHER"))).Verdict);
    }

    [Theory]
    [InlineData("1", QueryVerdict.Effected)]
    [InlineData("2", QueryVerdict.Unknown)]
    public void Should_prove_only_a_full_refund_from_status_04_when_the_answer_lists_no_refunds(string cancelType, QueryVerdict expected)
        => Assert.Equal(expected, Interpret(Refund(cancelType), Answer("04", history: null)).Verdict);

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void Should_find_the_refund_not_effected_when_the_answer_lists_no_refunds_and_the_status_is_00(string cancelType)
        => Assert.Equal(QueryVerdict.NotEffected, Interpret(Refund(cancelType), Answer("00", history: null)).Verdict);
}
