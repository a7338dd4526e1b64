using RefundWorker.Options;
using RefundWorker.Persistence;
using RefundWorker.Snap;

namespace RefundWorker.Operations;

/// <summary>What a query says about the operation.</summary>
public enum QueryVerdict
{
    /// <summary>The provider shows the refund/cancel done.</summary>
    Effected,

    /// <summary>The provider shows it did not happen: safe to send (again) with the same partnerRefundNo.</summary>
    NotEffected,

    /// <summary>No conclusion (query failed, or a status that proves nothing).</summary>
    Unknown,
}

/// <summary>
/// The decisions (docs/protocol.md#classification) as pure functions of (operation, answer, settings, now): no I/O, so every
/// row of the classification table is unit-tested.
/// </summary>
public sealed class OperationStateMachine(WorkerOptions options)
{
    /// <summary>How an answer to a send is read.</summary>
    /// <param name="reconciling">The send is a reconciliation step of a provider without a status query: an
    /// earlier send may have landed, so duplicates mean "done" and refusals prove nothing.</param>
    public Decision AfterSend(Operation op, ProviderCall call, bool hasQuery, bool reconciling, int attempts, int queries, DateTimeOffset now)
    {
        var code = call.Code;
        if (call.Outcome == OutcomeClass.Success)
        {
            return Decision.Succeed(code, call.Refund?.ReferenceNo, ParseTime(call.Refund?.RefundTime ?? call.Cancel?.CancelTime), "succeeded");
        }

        // The bank has no status query: 409xx01 (partnerRefundNo already used) and 404xx18 ("consider as success")
        // are how it says the refund is already done (docs/protocol.md#bank-reconcile).
        if (!hasQuery && code is { } c && ((c.HttpStatus == 409 && c.CaseCode == 1) || (c.HttpStatus == 404 && c.CaseCode == 18)))
        {
            return Decision.Succeed(code, null, null, $"{c} read as already processed");
        }

        switch (call.Outcome)
        {
            case OutcomeClass.Pending:
            case OutcomeClass.OutcomeUnknown:
                return EnterReconcile(queries, code, now, Describe(call));
            case OutcomeClass.Retryable:
            case OutcomeClass.RefreshToken:
                if (reconciling)
                {
                    // This re-send was not processed, but an earlier one still may have been.
                    return EnterReconcile(queries, code, now, Describe(call));
                }

                var p = options.For(op.Provider);
                if (attempts >= p.MaxAttempts)
                {
                    return Decision.Fail(code, ErrorCodes.RetriesExhausted, $"Gave up after {attempts} attempts; last: {Describe(call)}");
                }

                return Decision.Retry(code, now + Backoff(p, attempts), Describe(call));
            default:
                if (reconciling)
                {
                    // A refusal of a re-send after an unknown outcome (e.g. 404xx13 because the first refund used the
                    // refundable remainder, 409xx01 because it already holds our partnerRefundNo) does not prove that
                    // nothing was refunded. With a status query: ask again (NeedsReview when the schedule runs out).
                    // Without one there is nothing left to ask.
                    return hasQuery
                        ? EnterReconcile(queries, code, now, $"re-send after an unknown outcome refused: {Describe(call)}")
                        : Decision.Review(code, $"The re-send after an unknown outcome was refused ({Describe(call)}); check the provider's records.");
                }

                return Decision.Fail(code, ErrorCodes.For(code), Describe(call));
        }
    }

    /// <summary>The next step after an unknown outcome: a query (or re-send) later, or NeedsReview when the
    /// schedule is exhausted. <paramref name="queriesDone"/> reconciliation steps were already taken.</summary>
    public Decision EnterReconcile(int queriesDone, ResponseCode? code, DateTimeOffset now, string why)
    {
        var schedule = options.EffectiveReconcileSchedule;
        if (queriesDone >= schedule.Count)
        {
            return Decision.Review(code, $"Outcome still unknown after {queriesDone} reconciliation steps; last: {why}");
        }

        return Decision.Reconcile(code, now + schedule[queriesDone], why);
    }

    /// <summary>Reads a status query answer about <paramref name="op"/>.</summary>
    public static (QueryVerdict Verdict, string? ReferenceNo, DateTimeOffset? Time) Interpret(Operation op, ProviderCall call)
    {
        if (call.Outcome != OutcomeClass.Success || call.Query is not { } q)
        {
            // 404xx01: the provider does not know the original payment, so nothing of ours can have landed on it.
            if (call.Code is { HttpStatus: 404, CaseCode: 1 })
            {
                return (QueryVerdict.NotEffected, null, null);
            }

            return (QueryVerdict.Unknown, null, null);
        }

        if (op.Kind == OperationKind.Cancel)
        {
            return q.LatestTransactionStatus switch
            {
                StatusCancelled => (QueryVerdict.Effected, null, null),
                StatusSuccess => (QueryVerdict.NotEffected, null, null),
                _ => (QueryVerdict.Unknown, null, null),
            };
        }

        if (q.RefundHistory is { } history)
        {
            return FromRefundHistory(op, q, history);
        }

        // Without a list of refunds, "04" says only that the original has been refunded, not by whom. A full refund
        // (NICEPAY cancelType "1") is the refund of the whole original, so "04" is ours; a partial one may meet "04"
        // caused by another partial refund of the same original. Claiming that success could report money returned
        // that never was: Unknown instead, so reconciliation asks again and ends in NeedsReview. "00" (paid, nothing
        // refunded) proves ours did not land, whatever its type.
        return q.LatestTransactionStatus switch
        {
            QueryResponse.StatusRefunded when IsFullRefund(op) => (QueryVerdict.Effected, null, null),
            StatusSuccess => (QueryVerdict.NotEffected, null, null),
            _ => (QueryVerdict.Unknown, null, null),
        };
    }

    /// <summary>
    /// Reads the provider's list of refunds of the original (SNAP's <c>refundHistory</c>). Ours is the item whose
    /// key (<see cref="RefundKey"/>) is our partnerRefundNo. <c>refundStatus</c> uses SNAP's transaction status codes:
    /// "00" success and "06" failed are the only conclusive ones; "03" pending, any other code (01 initiated,
    /// 02 paying, 05 cancelled, 07 not found, a provider's own text) proves nothing. Money is claimed returned only
    /// for one successful item of exactly our amount and currency.
    /// </summary>
    private static (QueryVerdict Verdict, string? ReferenceNo, DateTimeOffset? Time) FromRefundHistory(
        Operation op, QueryResponse q, IReadOnlyList<RefundHistoryItem> history)
    {
        var mine = history.Where(i => string.Equals(RefundKey(op, i), op.PartnerRefundNo, StringComparison.Ordinal)).ToList();
        if (mine.Count == 0)
        {
            // Absence proves "not effected" only when the list could have shown ours: every item names the refund
            // it is (an item without a key may be ours), and the list agrees with the payment's status (a payment
            // "04" refunded with no successful refund listed means the list is not the whole story, e.g. it lags).
            // A refund still in flight at the provider may be missing too; re-sending the same partnerRefundNo is
            // what the idempotency key is for, as after "00".
            var complete = history.All(i => RefundKey(op, i) is not null)
                && (q.LatestTransactionStatus != QueryResponse.StatusRefunded || history.Any(IsSucceeded));
            return (complete ? QueryVerdict.NotEffected : QueryVerdict.Unknown, null, null);
        }

        // Every attempt under our key listed as failed: nothing was refunded.
        if (mine.All(i => i.RefundStatus == RefundHistoryItem.StatusFailed))
        {
            return (QueryVerdict.NotEffected, null, null);
        }

        // Exactly one success and every other listing of our key failed. Two successes (a provider that booked the
        // key twice) or a success beside a pending one is not a single refund to report: Unknown, then NeedsReview.
        var succeeded = mine.Where(IsSucceeded).ToList();
        if (succeeded.Count != 1 || mine.Any(i => !IsSucceeded(i) && i.RefundStatus != RefundHistoryItem.StatusFailed))
        {
            return (QueryVerdict.Unknown, null, null);
        }

        var item = succeeded[0];
        return IsOurAmount(op, item.RefundAmount)
            ? (QueryVerdict.Effected, item.RefundNo, ParseTime(item.RefundDate))
            : (QueryVerdict.Unknown, null, null);
    }

    /// <summary>
    /// Which refund a listed item is: its <c>partnerRefundNo</c> when the provider sends one, else its
    /// <c>partnerReferenceNo</c> (where SNAP puts the merchant's reference of the refund, i.e. our partnerRefundNo).
    /// A <c>partnerReferenceNo</c> equal to the original payment's names the payment, not a refund: no key.
    /// </summary>
    private static string? RefundKey(Operation op, RefundHistoryItem item)
    {
        if (!string.IsNullOrEmpty(item.PartnerRefundNo))
        {
            return item.PartnerRefundNo;
        }

        return string.IsNullOrEmpty(item.PartnerReferenceNo) || string.Equals(item.PartnerReferenceNo, op.OriginalPartnerReferenceNo, StringComparison.Ordinal)
            ? null
            : item.PartnerReferenceNo;
    }

    private static bool IsSucceeded(RefundHistoryItem item) => item.RefundStatus == RefundHistoryItem.StatusSuccess;

    // The SNAP amount string read as a decimal ("10000.00" and "10000" are the same money); a missing or unreadable
    // amount, or another currency, is not ours.
    private static bool IsOurAmount(Operation op, SnapAmount? amount)
        => op.Amount is { } expected
            && amount is not null
            && amount.TryToDecimal(out var listed)
            && listed == expected
            && string.Equals(amount.Currency, op.Currency ?? SnapAmount.Idr, StringComparison.OrdinalIgnoreCase);

    // NICEPAY's additionalInfo.cancelType: "1" full, "2" partial (checked by SnapValidator before sending).
    // An operation without it is not known to be full.
    private static bool IsFullRefund(Operation op)
        => OperationFactory.AdditionalInfo(op) is { } info
            && info.TryGetValue(CancelTypeKey, out var type)
            && string.Equals(type, CancelTypeFull, StringComparison.Ordinal);

    private const string CancelTypeKey = "cancelType";
    private const string CancelTypeFull = "1";

    // SNAP latestTransactionStatus: 00 success (paid), 04 refunded, 05 cancelled.
    public const string StatusSuccess = "00";
    public const string StatusCancelled = "05";

    /// <summary>Exponential backoff with equal jitter: between half and all of base·2^(n−1), capped.</summary>
    public static TimeSpan Backoff(ProviderWorkerOptions p, int attempts)
    {
        var exp = Math.Min(Math.Max(attempts - 1, 0), 30);
        var ceiling = Math.Min(p.BackoffBase!.Value.TotalMilliseconds * Math.Pow(2, exp), p.BackoffMax!.Value.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    public static DateTimeOffset? ParseTime(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (SnapTimestamp.TryParse(value, out var t))
        {
            return t.ToUniversalTime();
        }

        // iFortePay's cancelTime sample has no offset ("2020-10-20T17:56:57"): providers speak Jakarta time.
        if (DateTime.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var local))
        {
            return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), TimeSpan.FromHours(7)).ToUniversalTime();
        }

        return null;
    }

    private static string Describe(ProviderCall call)
    {
        var s = call.Code is { } c ? $"{c} {call.ResponseMessage}".Trim() : call.Error ?? call.Transport?.ToString() ?? call.Outcome.ToString();
        return s.Length > 500 ? s[..500] : s;
    }
}

/// <summary>Where an operation goes next.</summary>
public sealed record Decision(OperationState State, ResponseCode? Code, DateTimeOffset? NextAt, string? ErrorCode, string Message, string? ReferenceNo = null, DateTimeOffset? Time = null)
{
    public static Decision Succeed(ResponseCode? code, string? referenceNo, DateTimeOffset? time, string message) => new(OperationState.Succeeded, code, null, null, message, referenceNo, time);

    public static Decision Fail(ResponseCode? code, string errorCode, string message) => new(OperationState.Failed, code, null, errorCode, message);

    public static Decision Review(ResponseCode? code, string message) => new(OperationState.NeedsReview, code, null, null, message);

    public static Decision Retry(ResponseCode? code, DateTimeOffset at, string message) => new(OperationState.Pending, code, at, null, message);

    public static Decision Reconcile(ResponseCode? code, DateTimeOffset at, string message) => new(OperationState.Reconciling, code, at, null, message);
}
