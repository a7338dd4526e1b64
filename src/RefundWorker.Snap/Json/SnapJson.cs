using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace RefundWorker.Snap;

/// <summary>
/// The one serializer configuration for SNAP bodies. A body is serialized once, compactly; those exact bytes
/// are hashed into X-SIGNATURE and sent (docs/protocol.md#minified-body), so nothing may re-serialize between the two.
/// </summary>
/// <remarks>
/// Encoder choice: <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>. The default encoder escapes
/// <c>+ &lt; &gt; &amp; '</c> and every non-ASCII character as <c>\uXXXX</c>. That would still verify for a
/// provider that hashes the received bytes, but providers whose SDKs parse and re-serialize the body before
/// hashing (Jackson, Node's JSON.stringify, PHP with JSON_UNESCAPED_UNICODE) emit those characters literally,
/// and a reason such as "Refund A&amp;B" or "Pengembalian dana — toko" would then fail their check. The relaxed
/// encoder writes them literally too, so both kinds of provider compute the same hash. "Unsafe" refers to
/// embedding JSON in HTML, which never happens with these bodies. Control characters, quotes and backslashes
/// are still escaped, and characters outside the Basic Multilingual Plane (emoji) are still written as
/// surrogate escapes; either way the bytes hashed are the bytes sent.
/// </remarks>
public static class SnapJson
{
    /// <summary>camelCase, compact, nulls omitted, relaxed escaping (see remarks on the class).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes <paramref name="value"/> to compact UTF-8: the bytes to hash and to send.</summary>
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Deserializes UTF-8 JSON with <see cref="Options"/>.</summary>
    public static T? Deserialize<T>(ReadOnlySpan<byte> utf8) => JsonSerializer.Deserialize<T>(utf8, Options);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = null,
            WriteIndented = false,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            // Providers are not always consistent about casing in responses; reading leniently costs nothing
            // on the write path, which is the one that is signed.
            PropertyNameCaseInsensitive = true,
            // `required` on the models helps code that builds requests; when reading, a missing field must reach
            // SnapValidator (which names it) rather than fail as a JsonException, so requiredness is dropped here.
            TypeInfoResolver = JsonTypeInfoResolver
                .Combine(SnapJsonContext.Default, new DefaultJsonTypeInfoResolver())
                .WithAddedModifier(static info =>
                {
                    foreach (var property in info.Properties)
                    {
                        property.IsRequired = false;
                    }
                }),
        };
        options.MakeReadOnly();
        return options;
    }
}
