namespace RefundWorker.Outbox;

/// <summary>
/// Which outbox rows this build cannot publish, and why. Such a row would otherwise be claimed, skipped and claimed
/// again at every pass; a batch of them (at least <c>Worker:OutboxBatchSize</c>) at the head of the table would hold up
/// every event behind it. The dispatcher parks them instead (<c>parked_at</c>, <c>parked_reason</c>).
/// </summary>
public static class UnpublishableRows
{
    /// <summary>
    /// The largest payload published: RabbitMQ 4's default <c>max_message_size</c> (16 MiB; 3.x allows 128 MiB). A
    /// larger message makes the broker close the channel, failing the whole batch at every try. Outcome events are
    /// a few hundred bytes; a payload this large is a bug, not an event.
    /// </summary>
    public const int MaxPayloadChars = 16 * 1024 * 1024 - 4096;

    /// <summary>Reason codes, the <c>reason</c> tag of <c>refundworker.outbox.parked</c>.</summary>
    public const string UnknownType = "unknown_type";

    public const string NotAnObject = "not_an_object";

    public const string TooLarge = "too_large";

    /// <summary>Null when the row can be published; otherwise a reason code and the text stored with the row.</summary>
    public static (string Code, string Text)? Check(string type, string payload)
    {
        if (!RabbitMqOutboxPublisher.IsKnownType(type))
        {
            return (UnknownType, $"unknown type '{Truncate(type)}': not a message contract of this build (written by a newer version, or by hand?)");
        }

        // The payload is jsonb, so it is valid JSON; MassTransit subscribers need an object in the envelope's "message".
        if (payload.Length == 0 || payload[0] != '{')
        {
            return (NotAnObject, $"payload is not a JSON object (starts with '{Truncate(payload, 20)}'); subscribers could not read it as {type}");
        }

        return payload.Length > MaxPayloadChars
            ? (TooLarge, $"payload of {payload.Length} characters is larger than the broker accepts ({MaxPayloadChars})")
            : null;
    }

    private static string Truncate(string value, int max = 256) => value.Length <= max ? value : value[..max] + "…";
}
