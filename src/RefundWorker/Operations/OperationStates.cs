using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>What the states of an operation mean to the pipeline.</summary>
public static class OperationStates
{
    /// <summary>
    /// Final: the operation has its outcome event and is never claimed again. Rejected is final from the accept on;
    /// the executor decides the other three.
    /// </summary>
    public static bool IsFinal(this OperationState state)
        => state is OperationState.Succeeded or OperationState.Failed or OperationState.NeedsReview or OperationState.Rejected;
}
