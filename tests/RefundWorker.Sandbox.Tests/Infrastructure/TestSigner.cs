using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RefundWorker.Sandbox.Tests.Infrastructure;

/// <summary>
/// SNAP signing written out from docs/protocol.md (token and transaction signatures) for the tests alone (no RefundWorker.Snap), checked against
/// vectors.json in <see cref="VectorTests"/>.
/// </summary>
internal static class TestSigner
{
    public static string Token(RSA privateKey, string clientId, string timestamp, string separator = "|")
        => Convert.ToBase64String(privateKey.SignData(Encoding.UTF8.GetBytes(clientId + separator + timestamp), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public static string Symmetric(string secret, string method, string path, string token, string minifiedBody, string timestamp)
        => Convert.ToBase64String(HMACSHA512.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(StringToSign(method, path, token, minifiedBody, timestamp))));

    public static string StringToSign(string method, string path, string token, string minifiedBody, string timestamp)
        => $"{method}:{path}:{token}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(minifiedBody)))}:{timestamp}";

    /// <summary>X-TIMESTAMP in Jakarta time, built without SnapTimestamp.</summary>
    public static string Timestamp(DateTimeOffset instant)
        => instant.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "+07:00";
}
