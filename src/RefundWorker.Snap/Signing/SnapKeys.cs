using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RefundWorker.Snap;

/// <summary>
/// Loads RSA keys in the forms SNAP providers hand out (docs/protocol.md#access-token): private keys as PKCS#8 PEM
/// (<c>BEGIN PRIVATE KEY</c>), PKCS#1 PEM (<c>BEGIN RSA PRIVATE KEY</c>) or bare base64 PKCS#8 DER (NICEPAY's
/// portal); public keys as X.509 SubjectPublicKeyInfo (PEM or bare base64 DER) or a certificate.
/// Failures throw <see cref="SnapConfigurationException"/> naming the setting; the key text is never echoed,
/// and the underlying cryptographic exception is kept only as the inner exception.
/// </summary>
public static class SnapKeys
{
    private const string PrivateForms = "expected PKCS#8 PEM (BEGIN PRIVATE KEY), PKCS#1 PEM (BEGIN RSA PRIVATE KEY) or bare base64 PKCS#8 DER";
    private const string PublicForms = "expected X.509 SubjectPublicKeyInfo PEM (BEGIN PUBLIC KEY), bare base64 SPKI DER or a PEM certificate";

    /// <summary>Loads an RSA private key from PEM or bare base64 DER text.</summary>
    public static RSA LoadPrivateKey(string pemOrBase64Der, string settingName)
    {
        if (string.IsNullOrWhiteSpace(pemOrBase64Der))
        {
            throw Fail(settingName, "is empty; " + PrivateForms);
        }

        var text = Normalize(pemOrBase64Der);
        var rsa = RSA.Create();
        try
        {
            if (PemEncoding.TryFind(text, out var fields))
            {
                var label = text[fields.Label];
                var der = Convert.FromBase64String(text[fields.Base64Data].ToString());
                switch (label)
                {
                    case "PRIVATE KEY":
                        rsa.ImportPkcs8PrivateKey(der, out _);
                        break;
                    case "RSA PRIVATE KEY":
                        rsa.ImportRSAPrivateKey(der, out _);
                        break;
                    case "ENCRYPTED PRIVATE KEY":
                        throw Fail(settingName, "is an encrypted private key; provide it decrypted (" + PrivateForms + ")");
                    default:
                        throw Fail(settingName, $"holds a PEM '{label}' block, not a private key; " + PrivateForms);
                }
            }
            else
            {
                var der = DecodeBareBase64(text, settingName, PrivateForms);
                try
                {
                    rsa.ImportPkcs8PrivateKey(der, out _);
                }
                catch (CryptographicException)
                {
                    // Some portals export PKCS#1 DER without saying so; accepting it costs nothing.
                    rsa.ImportRSAPrivateKey(der, out _);
                }
            }

            return rsa;
        }
        catch (SnapConfigurationException)
        {
            rsa.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            rsa.Dispose();
            throw Fail(settingName, "is not a valid RSA private key; " + PrivateForms, ex);
        }
    }

    /// <summary>Reads <paramref name="path"/> and loads the RSA private key in it.</summary>
    public static RSA LoadPrivateKeyFile(string path, string settingName)
        => LoadPrivateKey(ReadKeyFile(path, settingName), settingName);

    /// <summary>Loads an RSA public key (SPKI PEM, bare base64 SPKI DER, PKCS#1 public PEM or a certificate).</summary>
    public static RSA LoadPublicKey(string pemOrBase64Der, string settingName)
    {
        if (string.IsNullOrWhiteSpace(pemOrBase64Der))
        {
            throw Fail(settingName, "is empty; " + PublicForms);
        }

        var text = Normalize(pemOrBase64Der);
        RSA? rsa = null;
        try
        {
            if (PemEncoding.TryFind(text, out var fields))
            {
                var label = text[fields.Label];
                var der = Convert.FromBase64String(text[fields.Base64Data].ToString());
                switch (label)
                {
                    case "PUBLIC KEY":
                        rsa = RSA.Create();
                        rsa.ImportSubjectPublicKeyInfo(der, out _);
                        break;
                    case "RSA PUBLIC KEY":
                        rsa = RSA.Create();
                        rsa.ImportRSAPublicKey(der, out _);
                        break;
                    case "CERTIFICATE":
                        using (var certificate = X509CertificateLoader.LoadCertificate(der))
                        {
                            rsa = certificate.GetRSAPublicKey()
                                ?? throw Fail(settingName, "holds a certificate without an RSA public key");
                        }

                        break;
                    default:
                        throw Fail(settingName, $"holds a PEM '{label}' block, not a public key; " + PublicForms);
                }
            }
            else
            {
                var der = DecodeBareBase64(text, settingName, PublicForms);
                rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(der, out _);
            }

            return rsa;
        }
        catch (SnapConfigurationException)
        {
            rsa?.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            rsa?.Dispose();
            throw Fail(settingName, "is not a valid RSA public key; " + PublicForms, ex);
        }
    }

    /// <summary>Reads <paramref name="path"/> and loads the RSA public key in it.</summary>
    public static RSA LoadPublicKeyFile(string path, string settingName)
        => LoadPublicKey(ReadKeyFile(path, settingName), settingName);

    // A PEM pasted into an environment variable or a secrets store often arrives with its line breaks written
    // as the two characters \n. Base64 and PEM armour never contain a backslash, so undoing that is safe.
    private static ReadOnlySpan<char> Normalize(string text)
        => (text.Contains('\\', StringComparison.Ordinal)
                ? text.Replace("\\r", "", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal)
                : text)
            .AsSpan()
            .Trim();

    private static string ReadKeyFile(string path, string settingName)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw Fail(settingName, "is empty; expected the path of a key file");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // The path is not secret; saying which file could not be read saves a round trip to the operator.
            throw Fail(settingName, $"points to '{path}', which cannot be read ({ex.GetType().Name})", ex);
        }
    }

    private static byte[] DecodeBareBase64(ReadOnlySpan<char> text, string settingName, string forms)
    {
        Span<char> compact = text.Length <= 8192 ? stackalloc char[text.Length] : new char[text.Length];
        var n = 0;
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                compact[n++] = c;
            }
        }

        var der = new byte[(n * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(compact[..n], der, out var written) || written == 0)
        {
            throw Fail(settingName, "is neither PEM nor base64 DER; " + forms);
        }

        return der[..written];
    }

    private static SnapConfigurationException Fail(string settingName, string problem, Exception? inner = null)
    {
        var message = $"{settingName} {problem}.";
        return inner is null
            ? new SnapConfigurationException(message) { SettingName = settingName }
            : new SnapConfigurationException(message, inner) { SettingName = settingName };
    }
}
