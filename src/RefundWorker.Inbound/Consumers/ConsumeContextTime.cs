using MassTransit;

namespace RefundWorker.Inbound.Consumers;

internal static class ConsumeContextTime
{
    /// <summary>
    /// When the order system sent the message (MassTransit stamps UTC), which orders versions of one payment code;
    /// our clock only when the header is missing (a message published by something other than MassTransit).
    /// </summary>
    public static DateTimeOffset SentAt(ConsumeContext context, TimeProvider time)
        => context.SentTime is { } sent
            ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc))
            : time.GetUtcNow();
}
