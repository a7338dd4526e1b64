using System.Security.Cryptography;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>A throwaway merchant RSA key pair made per fixture: the worker signs tokens with it, the sandbox verifies.</summary>
public sealed class MerchantKeys : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public string PrivateKeyPem => _rsa.ExportPkcs8PrivateKeyPem();

    public string PublicKeyPem => _rsa.ExportSubjectPublicKeyInfoPem();

    public void Dispose() => _rsa.Dispose();
}
