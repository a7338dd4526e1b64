using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox;

/// <summary>What refund, cancel and query share: token, headers, timestamp, signature and external id checks.</summary>
internal sealed partial class SnapEndpoints
{
    private static readonly string[] TransactionHeaders = ["X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID", "CHANNEL-ID"];

    private Reply Transaction(HttpContext ctx, ProviderRuntime p, SandboxOperation op, byte[] body)
    {
        var svc = ServiceCode(op);
        var h = ctx.Request.Headers;
        string? authorization = h.Authorization;
        if (string.IsNullOrEmpty(authorization)
            || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            || authorization.Length <= 7)
        {
            return Error(401, svc, 1, "Invalid Token (B2B)");
        }

        foreach (var name in TransactionHeaders)
        {
            if (string.IsNullOrEmpty(h[name]))
            {
                return Error(400, svc, 2, $"Invalid Mandatory Field {{{name}}}");
            }
        }

        if (p.RequireOrigin && string.IsNullOrEmpty(h.Origin))
        {
            return Error(400, svc, 2, "Invalid Mandatory Field {ORIGIN}");
        }

        var token = authorization[7..].Trim();
        string timestamp = h["X-TIMESTAMP"]!, signature = h["X-SIGNATURE"]!, partnerId = h["X-PARTNER-ID"]!, externalId = h["X-EXTERNAL-ID"]!;
        if (!_rt.Tokens.IsValid(token, p.Name, out var issued))
        {
            return Error(401, svc, 1, "Invalid Token (B2B)");
        }

        if (!string.Equals(partnerId, issued.ClientId, StringComparison.Ordinal))
        {
            return Error(401, svc, 0, "Unauthorized. Unknown X-PARTNER-ID");
        }

        if (!SnapTimestamp.TryParse(timestamp, out var instant))
        {
            return Error(400, svc, 1, "Invalid Field Format {X-TIMESTAMP}");
        }

        if (p.CheckTransactionTimestamp && (_rt.Time.GetUtcNow() - instant).Duration() > p.TimestampSkew)
        {
            return Error(401, svc, 0, "Unauthorized. X-TIMESTAMP out of range");
        }

        // HMAC over the minified body as received and the path without the provider's prefix (docs/protocol.md#signed-path).
        if (!SnapSignature.VerifySymmetric(p.ClientSecret, "POST", RelativePath(ctx, p), token, JsonMinifier.Minify(body), timestamp, signature))
        {
            return Error(401, svc, 0, "Unauthorized. Signature");
        }

        if (externalId.Length > p.ExternalIdMaxLength || (p.ExternalIdNumeric && !externalId.All(char.IsAsciiDigit)))
        {
            return Error(400, svc, 1, "Invalid Field Format {X-EXTERNAL-ID}");
        }

        if (!_rt.ExternalIds.TryRegister(p.Name, partnerId, externalId))
        {
            return Error(409, svc, 0, "Conflict");
        }

        if (!TryParse(body, out var doc))
        {
            return Error(400, svc, 0, "Bad Request. Malformed JSON");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Error(400, svc, 0, "Bad Request. Body must be a JSON object");
            }

            return op switch
            {
                SandboxOperation.Refund => Refund(p, root, externalId),
                SandboxOperation.Cancel => Cancel(p, root, externalId),
                _ => Query(p, root),
            };
        }
    }

    private static string RelativePath(HttpContext ctx, ProviderRuntime p)
    {
        var path = ctx.Request.Path.Value ?? string.Empty;
        return p.PathPrefix.Length > 0 && path.StartsWith(p.PathPrefix, StringComparison.OrdinalIgnoreCase)
            ? path[p.PathPrefix.Length..]
            : path;
    }
}
