using System.Text.Json;

namespace RefundWorker.Operations;

/// <summary>An event ready for the outbox: <see cref="Id"/> is its MessageId for good.</summary>
public sealed record OutboxEnvelope(Guid Id, string Type, string Payload)
{
    public static OutboxEnvelope For<T>(T message, DateTimeOffset now) where T : class
        => new(BufferedGuids.NewVersion7(now), typeof(T).FullName!, JsonSerializer.Serialize(message, OperationFactory.Json));
}
