using System.Collections;
using System.Text;
using System.Text.Json.Nodes;
using RabbitMQ.Client;

namespace RefundWorker.Admin;

/// <summary>Transport headers between RabbitMQ.Client's types and JSON (for <c>dead_letters.headers</c>).</summary>
public static class AmqpHeaders
{
    /// <summary>The replay's headers: which letter it comes from and which replay of it it is.</summary>
    public const string DeadLetterId = "RefundWorker-DeadLetter-Id";
    public const string ReplayNumber = "RefundWorker-Replay-Number";
    public const string ReplayedBy = "RefundWorker-Replayed-By";

    public static string? String(IDictionary<string, object?>? headers, string name)
        => headers is not null && headers.TryGetValue(name, out var v) ? Text(v) : null;

    public static string? Text(object? v) => v switch
    {
        null => null,
        byte[] b => Encoding.UTF8.GetString(b),
        AmqpTimestamp t => DateTimeOffset.FromUnixTimeSeconds(t.UnixTime).ToString("O"),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Properties and headers as a JSON object; header values become strings, numbers, lists and objects.</summary>
    public static JsonObject ToJson(IReadOnlyBasicProperties props)
    {
        var headers = new JsonObject();
        if (props.Headers is { } h)
        {
            foreach (var (k, v) in h)
            {
                headers[k] = Node(v);
            }
        }

        return new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["messageId"] = props.MessageId,
                ["correlationId"] = props.CorrelationId,
                ["contentType"] = props.ContentType,
                ["type"] = props.Type,
                ["timestamp"] = props.IsTimestampPresent() ? DateTimeOffset.FromUnixTimeSeconds(props.Timestamp.UnixTime).ToString("O") : null,
            },
            ["headers"] = headers,
        };
    }

    private static JsonNode? Node(object? v) => v switch
    {
        null => null,
        byte[] b => JsonValue.Create(Encoding.UTF8.GetString(b)),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        short s => JsonValue.Create(s),
        byte b => JsonValue.Create(b),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        decimal m => JsonValue.Create(m),
        AmqpTimestamp t => JsonValue.Create(DateTimeOffset.FromUnixTimeSeconds(t.UnixTime).ToString("O")),
        IDictionary<string, object?> d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, Node(kv.Value)))),
        IEnumerable e => new JsonArray([.. e.Cast<object?>().Select(Node)]),
        _ => JsonValue.Create(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)),
    };

    /// <summary>Headers RabbitMQ writes about a message's earlier trips (dead-lettering, redelivery count).</summary>
    public static bool IsBrokerBookkeeping(string header)
        => header is "x-death" or "x-delivery-count" or "x-first-death-exchange" or "x-first-death-queue" or "x-first-death-reason"
            or "x-last-death-exchange" or "x-last-death-queue" or "x-last-death-reason";

    /// <summary>
    /// The headers a replay carries: the original ones without the fault MassTransit added when it gave up (a replay is
    /// a fresh try) and without the broker's x-death / x-delivery-count, plus which letter and which replay it is.
    /// </summary>
    public static Dictionary<string, object?> ForReplay(JsonObject? stored, Guid letterId, int replayNumber, string actor)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (stored?["headers"] is JsonObject h)
        {
            foreach (var (k, v) in h)
            {
                if (k.StartsWith("MT-Fault-", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MT-Host-", StringComparison.OrdinalIgnoreCase)
                    || k is "MT-Reason" || IsBrokerBookkeeping(k)
                    || k.StartsWith("RefundWorker-", StringComparison.Ordinal))
                {
                    continue;
                }

                if (v is JsonValue value && value.TryGetValue<string>(out var s))
                {
                    result[k] = s;
                }
                else if (v is JsonValue number && number.TryGetValue<long>(out var l))
                {
                    result[k] = l;
                }
            }
        }

        result[DeadLetterId] = letterId.ToString();
        result[ReplayNumber] = replayNumber;
        result[ReplayedBy] = actor;
        return result;
    }
}
