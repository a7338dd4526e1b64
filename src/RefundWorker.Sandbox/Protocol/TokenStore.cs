using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace RefundWorker.Sandbox;

/// <summary>Issued B2B access tokens. A token belongs to one provider and one client id and dies at ExpiresAt.</summary>
internal sealed class TokenStore(TimeProvider time)
{
    private ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private long _issued;

    public string Issue(string provider, string clientId, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var tokens = Volatile.Read(ref _tokens);
        tokens[token] = new IssuedToken(provider, clientId, now + lifetime);

        // Expired tokens are swept now and then so a long benchmark does not grow the table without bound.
        if (Interlocked.Increment(ref _issued) % 256 == 0)
        {
            foreach (var (key, value) in tokens)
            {
                if (value.ExpiresAt <= now)
                {
                    tokens.TryRemove(key, out _);
                }
            }
        }

        return token;
    }

    public void Add(string token, string provider, string clientId, DateTimeOffset expiresAt)
        => Volatile.Read(ref _tokens)[token] = new IssuedToken(provider, clientId, expiresAt);

    public bool IsValid(string token, string provider, out IssuedToken issued)
    {
        if (Volatile.Read(ref _tokens).TryGetValue(token, out var found)
            && string.Equals(found.Provider, provider, StringComparison.Ordinal)
            && found.ExpiresAt > time.GetUtcNow())
        {
            issued = found;
            return true;
        }

        issued = null!;
        return false;
    }

    public void Clear() => Volatile.Write(ref _tokens, new ConcurrentDictionary<string, IssuedToken>(StringComparer.Ordinal));
}

internal sealed record IssuedToken(string Provider, string ClientId, DateTimeOffset ExpiresAt);

/// <summary>
/// X-EXTERNAL-ID values seen per provider and partner on the current (Jakarta) day: SNAP makes them unique per
/// partner per day, and a reuse is answered 409xx00. A new day starts a new table.
/// </summary>
internal sealed class ExternalIdStore(TimeProvider time)
{
    private static readonly TimeSpan Jakarta = TimeSpan.FromHours(7);
    private DayTable _table = new(0);

    public bool TryRegister(string provider, string partnerId, string externalId)
    {
        var now = time.GetUtcNow().ToOffset(Jakarta);
        var day = (now.Year * 10_000) + (now.Month * 100) + now.Day;
        var table = Volatile.Read(ref _table);
        while (table.Day < day)
        {
            var fresh = new DayTable(day);
            var seen = Interlocked.CompareExchange(ref _table, fresh, table);
            table = ReferenceEquals(seen, table) ? fresh : seen;
        }

        return table.Seen.TryAdd(string.Concat(provider, "\n", partnerId, "\n", externalId), 0);
    }

    public void Clear() => Volatile.Write(ref _table, new DayTable(0));

    private sealed class DayTable(int day)
    {
        public int Day { get; } = day;

        public ConcurrentDictionary<string, byte> Seen { get; } = new(StringComparer.Ordinal);
    }
}
