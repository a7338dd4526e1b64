namespace RefundWorker.Outbox;

/// <summary>
/// What RabbitMQ said about one batch of outbox rows: confirmed (routed to at least one queue), returned as
/// unroutable (no queue bound to the event's exchange, with the broker's reply), or neither (nacked, connection
/// lost: the row simply stays pending).
/// </summary>
public sealed record PublishResults(IReadOnlyList<Guid> Confirmed, IReadOnlyList<ReturnedRow> Returned)
{
    public static readonly PublishResults None = new([], []);
}

/// <summary>An outbox row RabbitMQ returned: its id, type and the broker's reply (e.g. <c>312 NO_ROUTE</c>).</summary>
public readonly record struct ReturnedRow(Guid Id, string Type, string Reason);
