using System.Net.Http.Headers;
using System.Text.Json;

namespace RefundWorker.Sandbox.Tests.Infrastructure;

/// <summary>What the sandbox answered.</summary>
internal sealed record SnapAnswer(int HttpStatus, string RawBody, HttpResponseHeaders Headers, string? ContentType)
{
    private JsonElement? _json;

    public JsonElement Json => _json ??= JsonDocument.Parse(RawBody).RootElement.Clone();

    public string? ResponseCode => Json.TryGetProperty("responseCode", out var c) ? c.GetString() : null;

    public string? Get(string path)
    {
        var e = Json;
        foreach (var part in path.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e))
            {
                return null;
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText();
    }
}
