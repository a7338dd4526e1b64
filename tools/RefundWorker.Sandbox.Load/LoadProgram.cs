using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox.Load;

/// <summary>
/// Measures how many valid refunds per second the sandbox answers. Bounded in count and time, loopback only.
/// <code>
/// dotnet run -c Release --project tools/RefundWorker.Sandbox.Load -- [--requests 200000] [--seconds 30]
///     [--concurrency 64] [--originals 100] [--url http://127.0.0.1:5080 --key .local/sandbox-keys/nicepay-merchant-private.pem]
/// </code>
/// With --wrk-out FILE (and --url) it only signs --requests refunds into FILE for refund.lua, a wrk script.
/// Without --url the sandbox runs in this process (client and server then share the machine's cores, as the
/// worker and the sandbox will in a benchmark). With --url it loads a sandbox started separately.
/// </summary>
public static class LoadProgram
{
    private const string RefundPath = "/api/v1.0/qr/qr-mpm-refund";

    public static async Task<int> Main(string[] args)
    {
        var o = Options.Parse(args);
        if (o is null)
        {
            return 2;
        }

        SandboxHandle? inProcess = null;
        RSA key;
        Uri root;
        string clientId = "IONPAYTEST", secret = o.Secret;
        if (o.Url is null)
        {
            key = RSA.Create(2048);
            inProcess = await SandboxServer.StartAsync(SandboxSettings.CreateDefault(key.ExportSubjectPublicKeyInfoPem()));
            root = inProcess.BaseUrl;
            secret = inProcess.Providers["nicepay"].ClientSecret;
        }
        else
        {
            root = new Uri(o.Url.TrimEnd('/') + "/");
            if (!IPAddress.TryParse(root.Host, out var ip) ? root.Host != "localhost" : !IPAddress.IsLoopback(ip))
            {
                await Console.Error.WriteLineAsync("load: --url must be a loopback address.");
                return 2;
            }

            key = SnapKeys.LoadPrivateKeyFile(o.KeyPath ?? Path.Combine(".local", "sandbox-keys", "nicepay-merchant-private.pem"), "--key");
        }

        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = o.Concurrency,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            UseProxy = false,
        })
        { BaseAddress = root, Timeout = TimeSpan.FromSeconds(30) };

        try
        {
            var originals = await SeedOriginalsAsync(http, o.Originals);
            var token = await TokenAsync(http, key, clientId);
            var run = Guid.NewGuid().ToString("N")[..8];
            if (o.WrkOut is not null)
            {
                await WriteWrkRequestsAsync(o.WrkOut, o.Requests, token, clientId, secret, originals, run);
                Console.WriteLine($"wrote {o.Requests} signed refunds (run {run}) to {o.WrkOut}; replay within 5 minutes:");
                Console.WriteLine($"  REQUESTS={o.WrkOut} wrk -t2 -c64 -d20s -s tools/RefundWorker.Sandbox.Load/refund.lua {root}");
                return 0;
            }

            long ok = 0, other = 0, failed = 0;
            var latencies = new long[o.Requests];
            var deadline = Stopwatch.StartNew();

            // Warm-up (JIT, connections), not counted.
            await RunAsync(o.Concurrency, Math.Min(2_000, o.Requests), (i, _) => SendRefundAsync(http, token, clientId, secret, originals, $"W{run}", i));

            var watch = Stopwatch.StartNew();
            var sent = await RunAsync(o.Concurrency, o.Requests, async (i, _) =>
            {
                if (deadline.Elapsed.TotalSeconds > o.Seconds)
                {
                    return false;
                }

                var t0 = Stopwatch.GetTimestamp();
                var code = await SendRefundAsync(http, token, clientId, secret, originals, run, i);
                latencies[i] = Stopwatch.GetTimestamp() - t0;
                Interlocked.Increment(ref code == "2007800" ? ref ok : ref code is null ? ref failed : ref other);
                return true;
            });
            watch.Stop();

            var measured = latencies.Where(l => l > 0).Order().ToArray();
            double Ms(double q) => measured.Length == 0 ? 0 : measured[(int)Math.Min(measured.Length - 1, q * measured.Length)] * 1000.0 / Stopwatch.Frequency;
            var booked = await CountBookedAsync(http, run);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sandbox {(inProcess is null ? root.ToString() : "in-process " + root)}  concurrency {o.Concurrency}  originals {o.Originals}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"refunds sent {sent}  2007800 {ok}  other codes {other}  transport failures {failed}  in {watch.Elapsed.TotalSeconds:F2} s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"throughput {ok / watch.Elapsed.TotalSeconds:F0} valid refunds/s   latency p50 {Ms(0.50):F2} ms  p99 {Ms(0.99):F2} ms  max {Ms(1.0):F2} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ledger: {booked} refunds of this run booked (must equal 2007800 count: {(booked == ok ? "yes" : "NO")})"));
            return booked == ok && other == 0 && failed == 0 ? 0 : 1;
        }
        finally
        {
            if (inProcess is not null)
            {
                await inProcess.DisposeAsync();
            }
        }
    }

    private static async Task<long> RunAsync(int concurrency, int count, Func<int, CancellationToken, Task<bool>> body)
    {
        var next = -1;
        long done = 0;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                if (!await body(i, default))
                {
                    return;
                }

                Interlocked.Increment(ref done);
            }
        });
        await Task.WhenAll(workers);
        return done;
    }

    private static Task<long> RunAsync(int concurrency, int count, Func<int, CancellationToken, Task<string?>> body)
        => RunAsync(concurrency, count, async (i, ct) => { await body(i, ct); return true; });

    private static async Task<string?> SendRefundAsync(HttpClient http, string token, string clientId, string secret, string[] originals, string run, int i)
    {
        var body = RefundBody(originals[i % originals.Length], run, i, clientId);
        var timestamp = SnapTimestamp.Now(TimeProvider.System);
        using var request = new HttpRequestMessage(HttpMethod.Post, "nicepay" + RefundPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        request.Headers.TryAddWithoutValidation("X-TIMESTAMP", timestamp);
        request.Headers.TryAddWithoutValidation("X-SIGNATURE", SnapSignature.SignSymmetric(secret, "POST", RefundPath, token, body, timestamp));
        request.Headers.TryAddWithoutValidation("X-PARTNER-ID", clientId);
        request.Headers.TryAddWithoutValidation("X-EXTERNAL-ID", $"{run}{i:D12}");
        request.Headers.TryAddWithoutValidation("CHANNEL-ID", clientId + "01");
        try
        {
            using var response = await http.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.GetProperty("responseCode").GetString();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    // One line per request for refund.lua: "X-TIMESTAMP \t X-SIGNATURE \t X-EXTERNAL-ID \t body", after a first
    // line "token \t partnerId". Signing happens here, so wrk (C, no HMAC) spends its CPU on HTTP only.
    private static async Task WriteWrkRequestsAsync(string path, int count, string token, string clientId, string secret, string[] originals, string run)
    {
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        await writer.WriteAsync($"{token}\t{clientId}\n");
        var timestamp = SnapTimestamp.Now(TimeProvider.System);
        for (var i = 0; i < count; i++)
        {
            var body = RefundBody(originals[i % originals.Length], run, i, clientId);
            var signature = SnapSignature.SignSymmetric(secret, "POST", RefundPath, token, body, timestamp);
            await writer.WriteAsync($"{timestamp}\t{signature}\t{run}{i:D12}\t{Encoding.UTF8.GetString(body)}\n");
        }
    }

    private static byte[] RefundBody(string original, string run, int i, string clientId)
        => Encoding.UTF8.GetBytes(
            $$$"""{"originalReferenceNo":"{{{original}}}","originalPartnerReferenceNo":"P-{{{original}}}","partnerRefundNo":"L{{{run}}}-{{{i}}}","merchantId":"{{{clientId}}}","externalStoreId":"LOAD","refundAmount":{"value":"1.00","currency":"IDR"},"reason":"load","additionalInfo":{"cancelType":"2"}}""");

    private static async Task<string[]> SeedOriginalsAsync(HttpClient http, int count)
    {
        var tag = Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var refs = Enumerable.Range(0, count).Select(i => $"LOAD{tag}{i:D6}").ToArray();
        var json = "[" + string.Join(",", refs.Select(r => $$"""{"provider":"nicepay","originalReferenceNo":"{{r}}","originalPartnerReferenceNo":"P-{{r}}","merchantId":"IONPAYTEST","amount":"1000000000000.00"}""")) + "]";
        using var response = await http.PostAsync("_sandbox/originals", new StringContent(json, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        return refs;
    }

    private static async Task<string> TokenAsync(HttpClient http, RSA key, string clientId)
    {
        var timestamp = SnapTimestamp.Now(TimeProvider.System);
        using var request = new HttpRequestMessage(HttpMethod.Post, "nicepay/v1.0/access-token/b2b")
        {
            Content = new StringContent("""{"grantType":"client_credentials","additionalInfo":{}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("X-TIMESTAMP", timestamp);
        request.Headers.TryAddWithoutValidation("X-CLIENT-KEY", clientId);
        request.Headers.TryAddWithoutValidation("X-SIGNATURE", SnapSignature.SignToken(key, clientId, timestamp));
        using var response = await http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.TryGetProperty("accessToken", out var t)
            ? t.GetString()!
            : throw new InvalidOperationException("No token: " + doc.RootElement.GetRawText());
    }

    private static async Task<long> CountBookedAsync(HttpClient http, string run)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("_sandbox/ledger?provider=nicepay"));
        return doc.RootElement.GetProperty("originals").EnumerateArray()
            .SelectMany(o => o.GetProperty("refunds").EnumerateArray())
            .LongCount(r => r.GetProperty("partnerRefundNo").GetString()!.StartsWith("L" + run + "-", StringComparison.Ordinal));
    }

    private sealed record Options(int Requests, int Seconds, int Concurrency, int Originals, string? Url, string? KeyPath, string Secret, string? WrkOut = null)
    {
        public static Options? Parse(string[] args)
        {
            var o = new Options(100_000, 30, 64, 100, null, null, "sandbox-nicepay-client-secret");
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                var v = args[i + 1];
                o = args[i] switch
                {
                    "--requests" => o with { Requests = Math.Clamp(int.Parse(v, CultureInfo.InvariantCulture), 1, 5_000_000) },
                    "--seconds" => o with { Seconds = Math.Clamp(int.Parse(v, CultureInfo.InvariantCulture), 1, 600) },
                    "--concurrency" => o with { Concurrency = Math.Clamp(int.Parse(v, CultureInfo.InvariantCulture), 1, 1024) },
                    "--originals" => o with { Originals = Math.Clamp(int.Parse(v, CultureInfo.InvariantCulture), 1, 100_000) },
                    "--url" => o with { Url = v },
                    "--key" => o with { KeyPath = v },
                    "--secret" => o with { Secret = v },
                    "--wrk-out" => o with { WrkOut = v },
                    _ => null,
                };
                if (o is null)
                {
                    Console.Error.WriteLine($"load: unknown option {args[i]}");
                    return null;
                }
            }

            return o;
        }
    }
}
