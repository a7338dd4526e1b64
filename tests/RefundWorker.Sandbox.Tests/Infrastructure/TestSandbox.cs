using System.Security.Cryptography;

namespace RefundWorker.Sandbox.Tests.Infrastructure;

/// <summary>
/// One sandbox on a loopback port per test: its own merchant key (generated here, never committed), its own
/// clock, its own HTTP client. Starting one takes milliseconds, and no test sees another's ledger or faults.
/// </summary>
internal sealed class TestSandbox : IAsyncDisposable
{
    // One generated key for the whole run: key generation is the slow part of a start.
    private static readonly Lazy<RSA> SharedKey = new(() => RSA.Create(2048));
    private readonly Dictionary<string, SnapTestClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private static long s_sequence;

    private TestSandbox(SandboxHandle handle, RealTimerFakeTimeProvider clock, RSA key)
    {
        Handle = handle;
        Clock = clock;
        MerchantKey = key;
        Http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public SandboxHandle Handle { get; }

    public RealTimerFakeTimeProvider Clock { get; }

    public RSA MerchantKey { get; }

    public HttpClient Http { get; }

    public SandboxLedger Ledger => Handle.Ledger;

    public static async Task<TestSandbox> StartAsync(Action<SandboxSettings>? configure = null, DateTimeOffset? now = null)
    {
        var key = SharedKey.Value;
        var clock = new RealTimerFakeTimeProvider(now ?? DateTimeOffset.UtcNow);
        var settings = SandboxSettings.CreateDefault(key.ExportSubjectPublicKeyInfoPem());
        settings.TimeProvider = clock;
        configure?.Invoke(settings);
        var handle = await SandboxServer.StartAsync(settings);
        return new TestSandbox(handle, clock, key);
    }

    public SnapTestClient Client(string provider)
    {
        if (!_clients.TryGetValue(provider, out var client))
        {
            client = new SnapTestClient(Http, Handle.Providers[provider], MerchantKey, Clock);
            _clients[provider] = client;
        }

        return client;
    }

    public LedgerEntry AddOriginal(
        string provider,
        decimal amount,
        string qrType = "DYNAMIC",
        OriginalStatus status = OriginalStatus.Paid,
        DateTimeOffset? cancellableUntil = null,
        string? externalId = null,
        string? merchantId = null)
    {
        var n = Interlocked.Increment(ref s_sequence);
        return Handle.Ledger.AddOriginal(new OriginalSeed
        {
            Provider = provider,
            OriginalReferenceNo = $"REF{n:D8}{Guid.NewGuid():N}"[..24],
            OriginalPartnerReferenceNo = $"ORDER-{n:D8}-{Guid.NewGuid():N}"[..30],
            OriginalExternalId = externalId,
            MerchantId = merchantId ?? (provider == "nicepay" ? "IONPAYTEST" : null),
            Amount = amount,
            QrType = qrType,
            Status = status,
            CancellableUntil = cancellableUntil,
        });
    }

    public static string NewRefundNo() => "RFND" + Guid.NewGuid().ToString("N")[..20];

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Handle.DisposeAsync();
    }
}
