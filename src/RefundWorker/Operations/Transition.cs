using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>A decided change of one operation, written by the outcome writer's group commit.</summary>
public sealed class Transition
{
    public required Guid OperationId { get; init; }
    public required Guid LeaseToken { get; init; }
    public required OperationState State { get; init; }
    /// <summary>Sends made so far (refund/cancel calls, a bank's reconciling re-sends included): the operation's
    /// <c>attempts</c> column and the outcome event's <c>Attempts</c>.</summary>
    public required int Sends { get; init; }

    /// <summary>Reconciliation steps taken so far (status queries, or a bank's re-sends): the <c>queries</c> column.</summary>
    public required int ReconcileSteps { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public string? ResponseCode { get; init; }
    public string? ErrorCode { get; init; }
    public string? OutcomeMessage { get; init; }
    public string? ReferenceNo { get; init; }
    public DateTimeOffset? OutcomeTime { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>Every provider call this step made (sends, queries, refused tokens): rows of the attempt trail
    /// (the <c>attempts</c> table), which counts every call, not only sends.</summary>
    public List<Attempt> Calls { get; init; } = [];
    public OutboxEnvelope? Event { get; init; }

    public bool IsFinal => State.IsFinal();
}
