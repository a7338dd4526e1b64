namespace RefundWorker.Persistence;

/// <summary>
/// An event to publish (<c>outbox</c>), written in the same transaction as the state it announces.
/// <see cref="Id"/> is the MessageId it is published with, every time: subscribers dedupe on it.
/// </summary>
public sealed class OutboxMessage
{
    public Guid Id { get; set; }

    /// <summary>The contract's full type name, e.g. <c>RefundWorker.Contracts.RefundSucceeded</c>.</summary>
    public string Type { get; set; } = string.Empty;

    /// <summary>The message as JSON (System.Text.Json, web defaults).</summary>
    public string Payload { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The operation it announces, when there is one (re-published on a duplicate request).</summary>
    public Guid? OperationId { get; set; }

    /// <summary>
    /// How many times RabbitMQ returned it because no queue is bound to its exchange (published with
    /// <c>mandatory</c>). Such a row is not sent: it stays in the outbox, visible, and is published again later.
    /// </summary>
    public int UnroutableCount { get; set; }

    /// <summary>When RabbitMQ last returned it as unroutable; null if it never was.</summary>
    public DateTimeOffset? UnroutableAt { get; set; }

    /// <summary>RabbitMQ's reply to the last return, e.g. <c>312 NO_ROUTE</c>.</summary>
    public string? UnroutableReason { get; set; }

    /// <summary>Not published before this time (the backoff after a return); null: at once.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>
    /// When the dispatcher set the row aside because it cannot publish it (a type this build does not know, a payload
    /// that is not a JSON object, or one too large for the broker); null while it is publishable. A parked row is
    /// never claimed again by a process that cannot publish it, so the rows behind it are not held up.
    /// </summary>
    public DateTimeOffset? ParkedAt { get; set; }

    /// <summary>Why the row was parked, in words an operator can act on.</summary>
    public string? ParkedReason { get; set; }
}
