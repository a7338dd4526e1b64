using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit.Serialization;
using RabbitMQ.Client;
using RefundWorker.Contracts.Wire;

namespace RefundWorker.Consumers;

/// <summary>What reading one delivery gave: the message, or why it cannot be consumed.</summary>
internal readonly record struct ReadResult<T>(T? Message, string? TraceParent, Exception? Fault, string? DeadLetter)
    where T : class;

/// <summary>
/// Reads a request off the wire the way MassTransit's receive path did: the MassTransit JSON envelope
/// (<c>application/vnd.masstransit+json</c>, or no content type), its <c>messageType</c> naming the contract, and the
/// <c>message</c> deserialized with MassTransit's own serializer options, so what was readable before is readable
/// now and what was not still is not.
/// </summary>
/// <remarks>
/// Three answers, as MassTransit gave them: a message; a fault (unreadable body, unsupported content type), which
/// goes to the error queue with <c>MT-Reason: fault</c> and is never retried; or a dead letter (a readable envelope
/// of a type this queue does not consume), which goes there with <c>MT-Reason: dead-letter</c>.
/// </remarks>
internal static class RequestEnvelope
{
    /// <summary>MassTransit's System.Text.Json settings (case-insensitive names, its converters, depth 64).</summary>
    private static readonly JsonSerializerOptions Json = SystemTextJsonMessageSerializer.Options;

    public static ReadResult<T> Read<T>(ReadOnlyMemory<byte> body, IReadOnlyBasicProperties properties, string expectedMessageType)
        where T : class
    {
        if (properties.ContentType is { Length: > 0 } contentType
            && !contentType.StartsWith(MassTransitEnvelope.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return new(null, null, new SerializationException(
                $"Unsupported content type '{contentType}': requests are MassTransit JSON envelopes ({MassTransitEnvelope.ContentType})."), null);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = Json.MaxDepth == 0 ? 64 : Json.MaxDepth, AllowTrailingCommas = Json.AllowTrailingCommas });
        }
        catch (JsonException e)
        {
            return new(null, null, new SerializationException($"The message envelope is not valid JSON: {e.Message}", e), null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new(null, null, new SerializationException($"The message envelope must be a JSON object (was {root.ValueKind})."), null);
            }

            if (!TryGetProperty(root, "messageType", out var types) || types.ValueKind != JsonValueKind.Array
                || !types.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.ValueEquals(expectedMessageType)))
            {
                return new(null, null, null, $"No consumer of this queue takes the message's type ({(types.ValueKind == JsonValueKind.Undefined ? "messageType missing" : types.GetRawText())}); expected {expectedMessageType}.");
            }

            if (!TryGetProperty(root, "message", out var message) || message.ValueKind != JsonValueKind.Object)
            {
                return new(null, null, new SerializationException("The message envelope has no 'message' object."), null);
            }

            T? value;
            try
            {
                value = message.Deserialize<T>(Json);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException or ArgumentException)
            {
                // The path names the field ($.amount) when the converter's own message does not.
                var at = e is JsonException { Path: { Length: > 0 } path } ? $" at {path}" : string.Empty;
                return new(null, null, new SerializationException($"The message could not be read as {typeof(T).Name}{at}: {e.Message}", e), null);
            }

            if (value is null)
            {
                return new(null, null, new SerializationException($"The message is null, not a {typeof(T).Name}."), null);
            }

            return new(value, EnvelopeTraceParent(root), null, null);
        }
    }

    /// <summary>A traceparent the sender left in the envelope's own headers (MassTransit copies some there).</summary>
    private static string? EnvelopeTraceParent(JsonElement root)
    {
        if (!TryGetProperty(root, "headers", out var headers) || headers.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var name in (ReadOnlySpan<string>)[Telemetry.RequestTrace.TraceParentHeader, Telemetry.RequestTrace.MassTransitHeader])
        {
            if (TryGetProperty(headers, name, out var v) && v.ValueKind == JsonValueKind.String
                && Telemetry.RequestTrace.Normalize(v.GetString()) is { } parent)
            {
                return parent;
            }
        }

        return null;
    }

    // MassTransit reads envelope names case-insensitively; the exact camelCase name is tried first (the usual case).
    private static bool TryGetProperty(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
