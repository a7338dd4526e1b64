using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>
/// The transition that replaces one PostgreSQL refused to record: the operation goes to NeedsReview with the
/// reason, and its RefundNeedsReview/CancelNeedsReview event goes into the outbox in the same commit, like every
/// other NeedsReview. The refused transition may have been a success at the provider, so nothing is sent again and a
/// person checks the provider's records.
/// </summary>
public static class OutcomeParking
{
    /// <param name="op">The operation row as stored (the refused transition never applied).</param>
    /// <param name="refused">The transition PostgreSQL refused.</param>
    /// <param name="reason">Why, from <see cref="PostgresErrors.Describe"/>; never the refused values.</param>
    /// <param name="withAttempts">Whether the refused transition's attempts are recorded with it (they are dropped
    /// only when they are what PostgreSQL refuses).</param>
    public static Transition Park(Operation op, Transition refused, string reason, DateTimeOffset now, bool withAttempts)
    {
        var message = StorageText.Clean(
            $"The worker could not record this operation's {refused.State} outcome (provider response code {refused.ResponseCode ?? "none"}): " +
            $"PostgreSQL refused it ({reason}). It is not sent again; check the provider's records.",
            ColumnSizes.Operations.FreeText);
        var done = op.Copy();
        done.State = OperationState.NeedsReview;
        done.Attempts = refused.Sends;
        done.Queries = refused.ReconcileSteps;
        done.ResponseCode = refused.ResponseCode ?? op.ResponseCode;
        done.ErrorCode = null;
        done.OutcomeMessage = message;
        return new Transition
        {
            OperationId = op.Id,
            LeaseToken = refused.LeaseToken,
            State = OperationState.NeedsReview,
            Sends = refused.Sends,
            ReconcileSteps = refused.ReconcileSteps,
            NextAttemptAt = null,
            ResponseCode = refused.ResponseCode,
            ErrorCode = null,
            OutcomeMessage = message,
            CompletedAt = now,
            Calls = withAttempts ? refused.Calls : [],
            Event = OutcomeEvents.For(done, now),
        };
    }
}
