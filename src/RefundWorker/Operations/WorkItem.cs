using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>How a claimed operation is worked on.</summary>
public enum WorkMode
{
    /// <summary>Known not to have landed: send it.</summary>
    Send,

    /// <summary>The outcome of an earlier send is unknown: query (or, without a query API, re-send the same key).</summary>
    Reconcile,
}

/// <summary>An operation leased to this process (its lease token is in <see cref="Operation.LeaseToken"/>).</summary>
/// <param name="FirstCall">Attempt 1 of a fresh operation: it uses the message's ExternalId.</param>
public sealed record WorkItem(Operation Op, WorkMode Mode, bool FirstCall)
{
    /// <summary>The state the scheduler claimed it back from; null for work handed over by the accept.</summary>
    public OperationState? ResumedFrom { get; init; }
}
