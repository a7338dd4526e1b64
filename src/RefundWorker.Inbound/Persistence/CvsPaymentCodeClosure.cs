namespace RefundWorker.Inbound.Persistence;

/// <summary>
/// A payment code that was paid or withdrawn (<c>CvsPaymentCodeClosed</c>). Kept apart from <see cref="CvsPaymentCode"/>
/// so a Closed that overtakes its Issued on the bus is still honoured: closing is final, the first one wins.
/// </summary>
public sealed class CvsPaymentCodeClosure
{
    public required string PayNo { get; init; }

    public required string Reason { get; init; }

    public required DateTimeOffset ClosedAt { get; init; }
}
