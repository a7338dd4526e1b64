using System.Buffers;
using System.Text;
using System.Text.Json;

namespace RefundWorker.Contracts.Wire;

/// <summary>
/// The JSON envelope MassTransit puts around a message on RabbitMQ (content type
/// <c>application/vnd.masstransit+json</c>), and the topology names it publishes a contract under: the fanout
/// exchange <c>RefundWorker.Contracts:RefundSucceeded</c> and the <c>messageType</c>
/// <c>urn:message:RefundWorker.Contracts:RefundSucceeded</c>. A publisher that writes these bytes is consumed by
/// any MassTransit subscriber as if MassTransit had published the message, without MassTransit's per-message
/// publish pipeline. The worker's outbox, its dead-letter replays of edited messages and the demo's load publisher
/// all write the envelope here, so there is one writer to keep in step with MassTransit.
/// </summary>
/// <remarks>
/// In its own namespace on purpose: the contracts are the public classes of <c>RefundWorker.Contracts</c>
/// itself, and this is not one.
/// </remarks>
public static class MassTransitEnvelope
{
    public const string ContentType = "application/vnd.masstransit+json";

    /// <summary>The exchange MassTransit publishes <paramref name="contract"/> to.</summary>
    public static string ExchangeOf(Type contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        return $"{contract.Namespace}:{contract.Name}";
    }

    /// <summary>The message type MassTransit names <paramref name="contract"/> by in an envelope's <c>messageType</c>.</summary>
    public static string MessageTypeOf(Type contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        return $"urn:message:{contract.Namespace}:{contract.Name}";
    }

    /// <summary>The envelope's <c>messageType</c> array, as JSON, for <see cref="Write(Guid, byte[], string, DateTimeOffset)"/>.</summary>
    public static byte[] MessageTypeJson(Type contract) => Encoding.UTF8.GetBytes($"[\"{MessageTypeOf(contract)}\"]");

    /// <summary>
    /// The envelope around <paramref name="messageJson"/>, embedded as it is (no deserialize/serialize round trip);
    /// <paramref name="messageId"/> is the message's MessageId.
    /// </summary>
    public static ReadOnlyMemory<byte> Write(Guid messageId, byte[] messageTypeJson, string messageJson, DateTimeOffset sentTime)
    {
        ArgumentNullException.ThrowIfNull(messageJson);
        return Write(messageId, messageTypeJson, w => w.WriteRawValue(messageJson, skipInputValidation: true), sentTime, messageJson.Length + 256);
    }

    /// <summary>The envelope around <paramref name="message"/>, serialized with <paramref name="json"/>.</summary>
    public static ReadOnlyMemory<byte> Write<T>(Guid messageId, byte[] messageTypeJson, T message, JsonSerializerOptions json, DateTimeOffset sentTime)
        => Write(messageId, messageTypeJson, w => JsonSerializer.Serialize(w, message, json), sentTime, 1024);

    private static ReadOnlyMemory<byte> Write(Guid messageId, byte[] messageTypeJson, Action<Utf8JsonWriter> writeMessage, DateTimeOffset sentTime, int sizeHint)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("messageId", messageId);
            w.WritePropertyName("messageType");
            w.WriteRawValue(messageTypeJson, skipInputValidation: true);
            w.WritePropertyName("message");
            writeMessage(w);
            w.WriteString("sentTime", sentTime.UtcDateTime);
            w.WriteStartObject("headers");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
