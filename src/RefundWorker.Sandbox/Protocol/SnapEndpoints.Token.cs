using System.Globalization;
using Microsoft.AspNetCore.Http;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox;

/// <summary>The B2B access-token endpoint.</summary>
internal sealed partial class SnapEndpoints
{
    private static readonly string[] TokenHeaders = ["X-TIMESTAMP", "X-CLIENT-KEY", "X-SIGNATURE"];

    private Reply Token(HttpContext ctx, ProviderRuntime p, byte[] body)
    {
        const int svc = ServiceCodes.Token;
        var h = ctx.Request.Headers;
        foreach (var name in TokenHeaders)
        {
            if (string.IsNullOrEmpty(h[name]))
            {
                return Error(400, svc, 2, $"Invalid Mandatory Field {{{name}}}");
            }
        }

        string timestamp = h["X-TIMESTAMP"]!, clientKey = h["X-CLIENT-KEY"]!, signature = h["X-SIGNATURE"]!;
        if (!SnapTimestamp.TryParse(timestamp, out var instant))
        {
            return Error(400, svc, 1, "Invalid Field Format {X-TIMESTAMP}");
        }

        if (!string.Equals(clientKey, p.ClientId, StringComparison.Ordinal))
        {
            return Error(401, svc, 0, "Unauthorized. Unknown client");
        }

        if ((_rt.Time.GetUtcNow() - instant).Duration() > p.TimestampSkew)
        {
            return Error(401, svc, 0, "Unauthorized. X-TIMESTAMP out of range");
        }

        if (!p.VerifyTokenSignature(clientKey, timestamp, signature))
        {
            return Error(401, svc, 0, "Unauthorized. Signature");
        }

        if (!TryParse(body, out var doc))
        {
            return Error(400, svc, 0, "Bad Request. Malformed JSON");
        }

        using (doc)
        {
            var f = new FieldReader();
            var grantType = f.String(doc.RootElement, "grantType", "grantType", mandatory: true, 32);
            if (f.Failed)
            {
                return FieldError(svc, f);
            }

            if (grantType != "client_credentials")
            {
                return Error(400, svc, 1, "Invalid Field Format {grantType}");
            }
        }

        // "Token expiry earlier than announced": the fault shortens the real lifetime, never expiresIn.
        var actual = _rt.Faults.Current(p.Name).TokenActualLifetimeSeconds is { } s ? Math.Min(s, p.TokenLifetimeSeconds) : p.TokenLifetimeSeconds;
        var token = _rt.Tokens.Issue(p.Name, p.ClientId, TimeSpan.FromSeconds(actual));
        return Ok(
            ResponseCode.Of(200, svc, 0).ToString(),
            new TokenResponseBody
            {
                ResponseCode = ResponseCode.Of(200, svc, 0).ToString(),
                ResponseMessage = "Successful",
                AccessToken = token,
                TokenType = "Bearer",
                ExpiresIn = p.TokenLifetimeSeconds.ToString(CultureInfo.InvariantCulture),
            },
            SandboxJson.Context.TokenResponseBody);
    }
}
