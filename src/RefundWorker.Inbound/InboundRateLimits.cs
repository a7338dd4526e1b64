using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>
/// Request budgets of the inbound endpoints (<see cref="InboundRateLimitOptions"/>): one fixed one-second window per
/// configured partner, and one shared by every caller that names none. The partition is chosen from headers alone,
/// before any database work, so a flood of bad requests is refused without touching PostgreSQL. A request that names
/// a partner's id without being that partner spends that partner's budget: the budget bounds the load whoever
/// sends it; telling the two apart needs the signature check, which is what the budget protects.
/// </summary>
public static class InboundRateLimits
{
    public const string PolicyName = "inbound-snap";

    internal static void Configure(RateLimiterOptions limiter)
    {
        limiter.AddPolicy(PolicyName, http =>
        {
            var settings = http.RequestServices.GetRequiredService<IOptions<InboundOptions>>().Value.RateLimits;
            var partner = Caller(http.Request, http.RequestServices.GetRequiredService<InboundPartnerRegistry>());
            return partner is null
                ? RateLimitPartition.GetFixedWindowLimiter("unauthenticated", _ => Window(settings.UnauthenticatedPermitsPerSecond))
                : RateLimitPartition.GetFixedWindowLimiter("partner:" + partner.Name, _ => Window(settings.PartnerPermitsPerSecond));
        });
        limiter.OnRejected = async (context, ct) =>
        {
            var http = context.HttpContext;
            var service = http.Request.Path.StartsWithSegments(InboundExtensions.TokenPath, StringComparison.OrdinalIgnoreCase)
                ? ServiceCodes.Token
                : ServiceCodes.CvsInquiry;
            http.Response.Headers.RetryAfter = "1";
            await InboundExtensions.WriteAnswerAsync(http, service == ServiceCodes.Token ? "token" : "cvs-inquiry", InboundErrors.TooManyRequests(service), ct);
        };
    }

    /// <summary>The configured partner a request names: X-CLIENT-KEY (token) or X-PARTNER-ID (inquiry).</summary>
    internal static InboundPartner? Caller(HttpRequest request, InboundPartnerRegistry partners)
    {
        if (InboundRequestReader.Header(request, "X-CLIENT-KEY") is { } clientKey && partners.TryGetByClientId(clientKey, out var byClient))
        {
            return byClient;
        }

        return InboundRequestReader.Header(request, "X-PARTNER-ID") is { } partnerId && partners.TryGetByPartnerId(partnerId, out var byPartner)
            ? byPartner
            : null;
    }

    // No queue: a request over budget is answered at once rather than held (and its connection with it).
    private static FixedWindowRateLimiterOptions Window(int permits) => new()
    {
        PermitLimit = permits,
        Window = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
