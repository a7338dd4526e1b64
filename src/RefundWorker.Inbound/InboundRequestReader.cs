using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace RefundWorker.Inbound;

/// <summary>Header and body access shared by the two inbound endpoints.</summary>
internal static class InboundRequestReader
{
    /// <summary>
    /// Reads at most <paramref name="maxBytes"/> bytes of body. Returns null when the body is larger: the caller
    /// refuses it without ever buffering more than the limit plus one read, whatever Content-Length says.
    /// </summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        var buffer = new byte[maxBytes + 1];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await request.Body.ReadAsync(buffer.AsMemory(total), ct);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total > maxBytes ? null : buffer.AsSpan(0, total).ToArray();
    }

    /// <summary>
    /// The header's value, or null when absent or blank. A header sent twice comes back comma-joined, which then
    /// fails its format or signature check instead of one copy being picked silently.
    /// </summary>
    public static string? Header(HttpRequest request, string name)
    {
        var value = request.Headers[name].ToString();
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>The token of <c>Authorization: Bearer &lt;token&gt;</c>, or null.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        StringValues values = request.Headers.Authorization;
        if (values.Count != 1 || values[0] is not { } value)
        {
            return null;
        }

        const string scheme = "Bearer ";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = value[scheme.Length..].Trim();
        return token.Length is > 0 and <= 512 ? token : null;
    }
}
