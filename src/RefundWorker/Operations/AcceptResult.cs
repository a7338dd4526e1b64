using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>What accepting a batch did.</summary>
public sealed record AcceptResult(int Accepted, int Duplicates, int Rejected, int Republished)
{
    /// <summary>Requests PostgreSQL refused to record even alone (nothing of them is stored); the rest of the batch
    /// was accepted. The consumer faults exactly these messages.</summary>
    public IReadOnlyList<UnrecordableRequest> Unrecordable { get; init; } = [];

    public static AcceptResult operator +(AcceptResult a, AcceptResult b) => new(a.Accepted + b.Accepted, a.Duplicates + b.Duplicates,
        a.Rejected + b.Rejected, a.Republished + b.Republished) { Unrecordable = [.. a.Unrecordable, .. b.Unrecordable] };
}

/// <summary>A request PostgreSQL refused to record, with its reason. <see cref="Operation"/> is the instance that was
/// passed to <see cref="AcceptService.AcceptAsync"/>.</summary>
public sealed record UnrecordableRequest(Operation Operation, string Reason);
