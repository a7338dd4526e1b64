using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using RefundWorker.Inbound.Persistence;

namespace RefundWorker.Inbound;

/// <summary>
/// Issues and checks the opaque bearer tokens of the inbound API. Tokens live in PostgreSQL as SHA-256 hashes, so
/// any replica validates a token another replica issued, and the plain token exists only in the partner's hands.
/// </summary>
public sealed class InboundTokenStore(DbContext db, TimeProvider time, ILogger<InboundTokenStore> logger)
{
    // Expired rows are deleted lazily, once they are this old: late requests with an expired token still hit a row
    // for a while, which changes nothing for the caller (401xx01 either way) but keeps the table small.
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    /// <summary>Creates a token for <paramref name="partner"/> valid for <paramref name="lifetime"/>.</summary>
    /// <remarks>
    /// A transient database failure issues a fresh token (InboundRetry): a token whose insert committed but whose
    /// answer was lost is never handed out, and simply expires.
    /// </remarks>
    public Task<string> IssueAsync(InboundPartner partner, TimeSpan lifetime, CancellationToken ct)
        => new InboundRetry(db, logger).ExecuteAsync(
            (partner, lifetime),
            (_, state, token) =>
            {
                db.ChangeTracker.Clear();
                return IssueOnceAsync(state.partner, state.lifetime, token);
            },
            verifySucceeded: null,
            ct);

    /// <summary>The name of the partner the token was issued to, or null when it is unknown or expired.</summary>
    public Task<string?> FindPartnerAsync(string token, CancellationToken ct)
        => new InboundRetry(db, logger).ExecuteAsync(token, (_, t, c) => FindPartnerOnceAsync(t, c), verifySucceeded: null, ct);

    internal static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private async Task<string> IssueOnceAsync(InboundPartner partner, TimeSpan lifetime, CancellationToken ct)
    {
        // 256 random bits, base64url: unguessable, URL- and header-safe, no padding.
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        db.Set<InboundAccessToken>().Add(new InboundAccessToken
        {
            TokenHash = Hash(token),
            PartnerName = partner.Name,
            IssuedAt = now,
            ExpiresAt = now + lifetime,
        });
        await db.SaveChangesAsync(ct);

        // Housekeeping rides on token issuance: it happens every few minutes per partner, on whichever replica.
        var cutoff = now - Retention;
        await db.Set<InboundAccessToken>().Where(t => t.ExpiresAt < cutoff).ExecuteDeleteAsync(ct);
        // X-EXTERNAL-ID is unique per day: ids from before yesterday (Jakarta) can no longer conflict with anything.
        var oldestKept = InboundClock.JakartaDate(now).AddDays(-1);
        await db.Set<InboundExternalId>().Where(e => e.BusinessDate < oldestKept).ExecuteDeleteAsync(ct);
        return token;
    }

    private async Task<string?> FindPartnerOnceAsync(string token, CancellationToken ct)
    {
        var hash = Hash(token);
        var now = time.GetUtcNow();
        return await db.Set<InboundAccessToken>()
            .AsNoTracking()
            .Where(t => t.TokenHash == hash && t.ExpiresAt > now)
            .Select(t => t.PartnerName)
            .FirstOrDefaultAsync(ct);
    }
}
