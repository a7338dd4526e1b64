using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace RefundWorker.Admin;

/// <summary>Who is calling: an operator's configured name and role.</summary>
public sealed record AdminCaller(string Name, string Role)
{
    public static readonly AdminCaller Anonymous = new("(anonymous)", "none");

    public bool MayChange => Role == AdminRoles.Operator;
}

/// <summary>
/// Bearer keys against the configured SHA-256 hashes. The presented key is hashed and compared with every operator's
/// hash in constant time (no early exit), so neither the comparison nor the loop tells how close a guess was. The key
/// itself is dropped here: only the caller's name goes on (to the audit log, to logs).
/// </summary>
public sealed class AdminAuthenticator
{
    private readonly (string Name, string Role, byte[] Hash)[] _operators;

    public AdminAuthenticator(IOptions<AdminOptions> options)
    {
        _operators = [.. options.Value.Operators.Select(o => (o.Key, o.Value.Role, Convert.FromHexString(o.Value.KeyHash)))];
    }

    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public AdminCaller? Authenticate(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var key = authorization.AsSpan(scheme.Length).Trim();
        if (key.IsEmpty)
        {
            return null;
        }

        Span<byte> presented = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(key.ToString());
        SHA256.HashData(bytes, presented);
        CryptographicOperations.ZeroMemory(bytes);
        AdminCaller? found = null;
        foreach (var (name, role, hash) in _operators)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash))
            {
                found = new AdminCaller(name, role);
            }
        }

        return found;
    }
}
