using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace RefundWorker.Snap;

/// <summary>
/// SNAP BI signatures (docs/protocol.md#access-token and #transaction-signature).
/// <list type="bullet">
/// <item>Token: base64(SHA256withRSA(privateKey, clientId + "|" + X-TIMESTAMP)), PKCS#1 v1.5.</item>
/// <item>Symmetric: base64(HMAC-SHA512(clientSecret, METHOD:path:token:sha256hex(minifiedBody):X-TIMESTAMP)).</item>
/// <item>Asymmetric: base64(SHA256withRSA(privateKey, METHOD:path:sha256hex(minifiedBody):X-TIMESTAMP)).</item>
/// </list>
/// Bodies passed here must already be minified; a body received from a peer is minified with
/// <see cref="JsonMinifier"/> first, exactly as received.
/// </summary>
public static class SnapSignature
{
    private const int StackLimit = 512;

    /// <summary><c>clientId + separator + timestamp</c>.</summary>
    public static string TokenStringToSign(string clientId, string timestamp, string separator = "|")
        => string.Concat(clientId, separator, timestamp);

    /// <summary>Signs the B2B token request.</summary>
    public static string SignToken(RSA privateKey, string clientId, string timestamp, string separator = "|")
        => SignRsa(privateKey, TokenStringToSign(clientId, timestamp, separator));

    /// <summary>Verifies a B2B token request signature.</summary>
    public static bool VerifyToken(RSA publicKey, string clientId, string timestamp, string signature, string separator = "|")
        => VerifyRsa(publicKey, TokenStringToSign(clientId, timestamp, separator), signature);

    /// <summary>Lowercase hex SHA-256 of the minified body (of the empty string for an empty body).</summary>
    public static string BodySha256Hex(ReadOnlySpan<byte> minifiedBody)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(minifiedBody, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary><c>METHOD:relativePath:accessToken:sha256hex(body):timestamp</c>.</summary>
    public static string SymmetricStringToSign(string method, string relativePath, string accessToken, ReadOnlySpan<byte> minifiedBody, string timestamp)
    {
        var hex = BodySha256Hex(minifiedBody);
        return string.Join(':', method.ToUpperInvariant(), relativePath, accessToken, hex, timestamp);
    }

    /// <summary>base64 HMAC-SHA512 of the symmetric string to sign.</summary>
    public static string SignSymmetric(string clientSecret, string method, string relativePath, string accessToken, ReadOnlySpan<byte> minifiedBody, string timestamp)
    {
        Span<byte> mac = stackalloc byte[HMACSHA512.HashSizeInBytes];
        ComputeHmac(clientSecret, SymmetricStringToSign(method, relativePath, accessToken, minifiedBody, timestamp), mac);
        return Convert.ToBase64String(mac);
    }

    /// <summary>Checks a symmetric signature in constant time. A malformed base64 signature is a mismatch.</summary>
    public static bool VerifySymmetric(string clientSecret, string method, string relativePath, string accessToken, ReadOnlySpan<byte> minifiedBody, string timestamp, string signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA512.HashSizeInBytes];
        ComputeHmac(clientSecret, SymmetricStringToSign(method, relativePath, accessToken, minifiedBody, timestamp), expected);

        Span<byte> given = stackalloc byte[HMACSHA512.HashSizeInBytes + 3];
        if (!Convert.TryFromBase64String(signature, given, out var written) || written != HMACSHA512.HashSizeInBytes)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, given[..written]);
    }

    /// <summary><c>METHOD:relativePath:sha256hex(body):timestamp</c>.</summary>
    public static string AsymmetricStringToSign(string method, string relativePath, ReadOnlySpan<byte> minifiedBody, string timestamp)
    {
        var hex = BodySha256Hex(minifiedBody);
        return string.Join(':', method.ToUpperInvariant(), relativePath, hex, timestamp);
    }

    /// <summary>base64 SHA256withRSA (PKCS#1 v1.5) of the asymmetric string to sign.</summary>
    public static string SignAsymmetric(RSA privateKey, string method, string relativePath, ReadOnlySpan<byte> minifiedBody, string timestamp)
        => SignRsa(privateKey, AsymmetricStringToSign(method, relativePath, minifiedBody, timestamp));

    /// <summary>Verifies an asymmetric transaction signature.</summary>
    public static bool VerifyAsymmetric(RSA publicKey, string method, string relativePath, ReadOnlySpan<byte> minifiedBody, string timestamp, string signature)
        => VerifyRsa(publicKey, AsymmetricStringToSign(method, relativePath, minifiedBody, timestamp), signature);

    private static void ComputeHmac(string clientSecret, string stringToSign, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(clientSecret);
        byte[]? rentedKey = null;
        byte[]? rentedData = null;
        try
        {
            var keyMax = Encoding.UTF8.GetMaxByteCount(clientSecret.Length);
            var key = keyMax <= StackLimit ? stackalloc byte[StackLimit] : (rentedKey = ArrayPool<byte>.Shared.Rent(keyMax));
            var keyLength = Encoding.UTF8.GetBytes(clientSecret, key);

            var dataMax = Encoding.UTF8.GetMaxByteCount(stringToSign.Length);
            var data = dataMax <= StackLimit ? stackalloc byte[StackLimit] : (rentedData = ArrayPool<byte>.Shared.Rent(dataMax));
            var dataLength = Encoding.UTF8.GetBytes(stringToSign, data);

            HMACSHA512.HashData(key[..keyLength], data[..dataLength], destination);
            CryptographicOperations.ZeroMemory(key[..keyLength]);
        }
        finally
        {
            if (rentedKey is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedKey, clearArray: true);
            }

            if (rentedData is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedData);
            }
        }
    }

    private static string SignRsa(RSA privateKey, string stringToSign)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        var signature = privateKey.SignData(Encoding.UTF8.GetBytes(stringToSign), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return Convert.ToBase64String(signature);
    }

    private static bool VerifyRsa(RSA publicKey, string stringToSign, string signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var given = new byte[Base64.GetMaxDecodedFromUtf8Length(signature.Length)];
        if (!Convert.TryFromBase64String(signature, given, out var written))
        {
            return false;
        }

        return publicKey.VerifyData(Encoding.UTF8.GetBytes(stringToSign), given.AsSpan(0, written), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
