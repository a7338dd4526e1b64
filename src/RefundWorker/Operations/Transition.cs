using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>A decided change of one operation, written by the outcome writer's group commit.</summary>
public sealed class Transition
{
    public required Guid OperationId { get; init; }
    public required Guid LeaseToken { get; init; }
    public required OperationState State { get; init; }
    public required int Attempts { get; init; }
    public required int Queries { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public string? ResponseCode { get; init; }
    public string? ErrorCode { get; init; }
    public string? OutcomeMessage { get; init; }
    public string? ReferenceNo { get; init; }
    public DateTimeOffset? OutcomeTime { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public List<Attempt> AttemptsMade { get; init; } = [];
    public OutboxEnvelope? Event { get; init; }

    public bool IsFinal => State.IsFinal();
}
