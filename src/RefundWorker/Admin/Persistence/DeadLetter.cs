namespace RefundWorker.Admin.Persistence;

/// <summary>Where a dead letter stands (stored as text in <c>dead_letters.status</c>).</summary>
public static class DeadLetterStatus
{
    public const string New = "New";
    public const string Replayed = "Replayed";
    public const string Discarded = "Discarded";

    public static readonly string[] All = [New, Replayed, Discarded];
}

/// <summary>
/// A message drained from an error queue (<c>dead_letters</c>): the body exactly as received, its headers, the fault
/// MassTransit recorded, and what operators did with it since.
/// </summary>
public sealed class DeadLetter
{
    public Guid Id { get; set; }

    /// <summary>The error queue it was drained from, e.g. <c>refund-requested_error</c>.</summary>
    public string SourceQueue { get; set; } = string.Empty;

    /// <summary>The queue it failed on, and the one a replay goes back to.</summary>
    public string OriginalQueue { get; set; } = string.Empty;
    public string? MessageId { get; set; }

    /// <summary>The first <c>messageType</c> of the envelope (<c>urn:message:…</c>), when the body could be read.</summary>
    public string? MessageType { get; set; }

    /// <summary>The body as received; only the first <c>Admin:MaxBodyBytes</c> bytes when <see cref="BodyTruncated"/>.</summary>
    public byte[] Body { get; set; } = [];

    /// <summary>The size of the body as received.</summary>
    public int BodySize { get; set; }
    public bool BodyTruncated { get; set; }

    /// <summary>False when the body was kept in part: replaying it would publish a different message.</summary>
    public bool Replayable { get; set; }
    public string? ContentType { get; set; }

    /// <summary>JSON: the transport headers and properties as received (strings, numbers, nested lists).</summary>
    public string Headers { get; set; } = "{}";

    /// <summary><c>MT-Reason</c>: <c>fault</c>, or <c>dead-letter</c> for a message nobody consumes.</summary>
    public string? FaultReason { get; set; }
    public string? ExceptionType { get; set; }
    public string? ExceptionMessage { get; set; }
    public string? StackTrace { get; set; }

    /// <summary>Groups letters by cause: exception type, normalised message and message type (see DeadLetterFingerprint).</summary>
    public string Fingerprint { get; set; } = string.Empty;
    public DateTimeOffset FirstFailedAt { get; set; }
    public DateTimeOffset LastFailedAt { get; set; }

    /// <summary>Times it reached an error queue: a replay that fails again comes back to this row.</summary>
    public int Failures { get; set; }
    public string Status { get; set; } = DeadLetterStatus.New;
    public int ReplayCount { get; set; }

    /// <summary>JSON array: one object per replay (by, at, reason, messageId, edited, job).</summary>
    public string Replays { get; set; } = "[]";
    public DateTimeOffset? StatusChangedAt { get; set; }
    public string? DiscardedBy { get; set; }
    public string? DiscardReason { get; set; }

    /// <summary>SHA-256 of queue, message id, fault time and body: a delivery drained twice (a crash between the
    /// commit and the ack) is stored once.</summary>
    public string DeliveryKey { get; set; } = string.Empty;
    public DateTimeOffset ReceivedAt { get; set; }
}
