namespace RefundWorker.Persistence;

/// <summary>
/// A request that repeats an operation under another <c>RequestId</c> (<c>operation_requests</c>): the same key and
/// the same content, so no second call is made, but its sender waits for an outcome carrying its own RequestId.
/// Every outcome event of the operation is queued once more for each such request, with that RequestId
/// (OutboxInserts), so an order system that retried with a fresh id hears back on both.
/// </summary>
public sealed class RepeatedRequest
{
    /// <summary>The repeating request's own RequestId.</summary>
    public Guid RequestId { get; set; }

    /// <summary>The operation it repeats.</summary>
    public Guid OperationId { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }
}
