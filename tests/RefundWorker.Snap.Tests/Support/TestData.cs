using System.Security.Cryptography;
using System.Text.Json;

namespace RefundWorker.Snap.Tests.Support;

/// <summary>The public vectors and throwaway keys in TestData/ (docs/protocol.md#test-vectors).</summary>
internal static class TestData
{
    private static readonly Lazy<JsonDocument> VectorsDocument = new(() => JsonDocument.Parse(File.ReadAllText(PathOf("vectors.json"))));

    public static string PathOf(string relative) => Path.Combine(AppContext.BaseDirectory, "TestData", relative);

    public static string KeyPath(string name) => PathOf(Path.Combine("keys", name));

    public static string KeyText(string name) => File.ReadAllText(KeyPath(name));

    public static RSA MerchantPrivate() => SnapKeys.LoadPrivateKeyFile(KeyPath("merchant-private.pem"), "test");

    public static RSA MerchantPublic() => SnapKeys.LoadPublicKeyFile(KeyPath("merchant-public.pem"), "test");

    public static RSA ProviderPrivate() => SnapKeys.LoadPrivateKeyFile(KeyPath("provider-private.pem"), "test");

    public static RSA ProviderPublic() => SnapKeys.LoadPublicKeyFile(KeyPath("provider-public.pem"), "test");

    public static JsonElement Vectors => VectorsDocument.Value.RootElement;

    public static IEnumerable<object[]> Indexes(string section)
        => Enumerable.Range(0, Vectors.GetProperty(section).GetArrayLength()).Select(i => new object[] { i });

    public static JsonElement Vector(string section, int index) => Vectors.GetProperty(section)[index];

    public static string Str(this JsonElement element, string name) => element.GetProperty(name).GetString()!;
}
