using System.Net;
using System.Net.Sockets;
using System.Text;
using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

public sealed class SnapClientTests
{
    private static readonly DateTimeOffset Now = new(2024, 12, 31, 3, 11, 40, TimeSpan.Zero);

    private static (SnapClient Client, FakeSnapServer Server) Create(FakeTimeProvider? time = null)
    {
        time ??= new FakeTimeProvider(Now);
        var server = new FakeSnapServer { TokenDelay = TimeSpan.Zero };
        var http = new HttpClient(server);
        return (new SnapClient(http, new SnapAccessTokenProvider(http, time), time, new ExternalIdGenerator(time, "1")), server);
    }

    [Fact]
    public async Task Should_send_signed_headers_and_the_hashed_bytes_when_refunding()
    {
        var (client, server) = Create();
        var provider = Providers.Nicepay();
        var request = Requests.Nicepay() with { Reason = "Refund A+B <promo> & 'Toko' — café" };

        var result = await client.RefundAsync(provider, request, "41807553358950093184", CancellationToken.None);

        Assert.Equal(OutcomeClass.Success, result.Outcome);
        Assert.Equal(ResponseCode.Of(200, 78, 0), result.Code);
        var sent = Assert.Single(server.Transactions);
        Assert.Equal("https://dev.nicepay.test/nicepay/api/v1.0/qr/qr-mpm-refund", sent.Url.AbsoluteUri);
        Assert.Equal("Bearer token-1", sent.Headers["Authorization"]);
        Assert.Equal("2024-12-31T10:11:40+07:00", sent.Headers["X-TIMESTAMP"]);
        Assert.Equal("IONPAYTEST", sent.Headers["X-PARTNER-ID"]);
        Assert.Equal("41807553358950093184", sent.Headers["X-EXTERNAL-ID"]);
        Assert.Equal("IONPAYTEST01", sent.Headers["CHANNEL-ID"]);
        Assert.False(sent.Headers.ContainsKey("ORIGIN"));
        Assert.Equal("application/json", sent.ContentType);
        // What went over the wire is exactly what was signed: the provider's check on the received bytes passes,
        // with the path signed without the /nicepay prefix.
        Assert.Equal(SnapJson.Serialize(request), sent.Body);
        Assert.True(SnapSignature.VerifySymmetric("merchant-client-secret-0001", "POST", "/api/v1.0/qr/qr-mpm-refund", "token-1",
            JsonMinifier.Minify(sent.Body), sent.Headers["X-TIMESTAMP"], sent.Headers["X-SIGNATURE"]));
        Assert.Contains("'Toko' — café", Encoding.UTF8.GetString(sent.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_stamp_and_sign_the_request_when_the_sending_hook_lets_it_go_not_before()
    {
        // The hook records the call and may hold it for its turn under the provider's rate limit: X-TIMESTAMP is the
        // moment of sending, and the signature covers that timestamp.
        var time = new FakeTimeProvider(Now);
        var (client, server) = Create(time);
        SnapSendingHook heldForTwoMinutes = (_, _) =>
        {
            time.Advance(TimeSpan.FromMinutes(2));
            return ValueTask.CompletedTask;
        };

        await client.RefundAsync(Providers.Nicepay(), Requests.Nicepay(), "41807553358950093184", CancellationToken.None, heldForTwoMinutes);

        var sent = Assert.Single(server.Transactions);
        Assert.Equal("2024-12-31T10:13:40+07:00", sent.Headers["X-TIMESTAMP"]);
        Assert.True(SnapSignature.VerifySymmetric("merchant-client-secret-0001", "POST", "/api/v1.0/qr/qr-mpm-refund", "token-1",
            JsonMinifier.Minify(sent.Body), sent.Headers["X-TIMESTAMP"], sent.Headers["X-SIGNATURE"]));
    }

    [Fact]
    public async Task Should_reproduce_the_nicepay_vector_signature_when_inputs_match()
    {
        // Token and timestamp as in vectors.json transaction[0]: the X-SIGNATURE sent must be the vector's.
        var time = new FakeTimeProvider(Now);
        var server = new FakeSnapServer
        {
            TokenDelay = TimeSpan.Zero,
            TokenAnswer = _ => "{\"responseCode\":\"2007300\",\"responseMessage\":\"Successful\",\"accessToken\":\"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.test.token\",\"expiresIn\":\"900\"}",
        };
        var http = new HttpClient(server);
        var client = new SnapClient(http, new SnapAccessTokenProvider(http, time), time);

        await client.RefundAsync(Providers.Nicepay(), Requests.Nicepay(), "1", CancellationToken.None);

        var sent = Assert.Single(server.Transactions);
        Assert.Equal(TestData.Vector("transaction", 0).Str("minifiedBody"), Encoding.UTF8.GetString(sent.Body));
        Assert.Equal(TestData.Vector("transaction", 0).Str("signature"), sent.Headers["X-SIGNATURE"]);
    }

    [Fact]
    public async Task Should_send_origin_and_integer_amount_when_provider_is_the_bank()
    {
        var (client, server) = Create();
        var request = Requests.Bank() with { RefundAmount = SnapAmount.From(1000m, format: AmountFormat.Integer) };

        var result = await client.RefundAsync(Providers.Bnc(), request, "1", CancellationToken.None);

        Assert.Equal(OutcomeClass.Success, result.Outcome);
        var sent = Assert.Single(server.Transactions);
        Assert.Equal("www.hostname.com", sent.Headers["ORIGIN"]);
        Assert.Equal("95221", sent.Headers["CHANNEL-ID"]);
        Assert.Contains("\"refundAmount\":{\"value\":\"1000\",\"currency\":\"IDR\"}", Encoding.UTF8.GetString(sent.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refresh_token_and_retry_with_new_external_id_when_provider_answers_401xx01()
    {
        var (client, server) = Create();
        server.Answers.Enqueue((HttpStatusCode.Unauthorized, "{\"responseCode\":\"4017701\",\"responseMessage\":\"Invalid Token (B2B)\"}"));
        server.Answers.Enqueue((HttpStatusCode.OK, "{\"responseCode\":\"2007700\",\"responseMessage\":\"Successful\",\"cancelTime\":\"2020-10-20T17:56:57\"}"));

        var result = await client.CancelAsync(Providers.IFortePay(), Requests.Cancel(), "111", CancellationToken.None);

        Assert.Equal(OutcomeClass.Success, result.Outcome);
        Assert.Equal(2, server.TokenRequests);
        var calls = server.Transactions.ToArray();
        Assert.Equal(2, calls.Length);
        Assert.Equal("Bearer token-1", calls[0].Headers["Authorization"]);
        Assert.Equal("Bearer token-2", calls[1].Headers["Authorization"]);
        Assert.Equal("111", calls[0].Headers["X-EXTERNAL-ID"]);
        Assert.NotEqual("111", calls[1].Headers["X-EXTERNAL-ID"]);
        Assert.Equal(calls[1].Headers["X-EXTERNAL-ID"], result.ExternalId);
        Assert.Equal(calls[0].Body, calls[1].Body);
        Assert.Equal("2020-10-20T17:56:57", result.Body!.CancelTime);
    }

    [Fact]
    public async Task Should_retry_only_once_when_token_keeps_being_rejected()
    {
        var (client, server) = Create();
        server.Answers.Enqueue((HttpStatusCode.Unauthorized, "{\"responseCode\":\"4017803\",\"responseMessage\":\"Token Not Found (B2B)\"}"));

        var result = await client.RefundAsync(Providers.Nicepay(), Requests.Nicepay(), "1", CancellationToken.None);

        Assert.Equal(OutcomeClass.RefreshToken, result.Outcome);
        Assert.Equal(2, server.Transactions.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, "{\"responseCode\":\"5007800\",\"responseMessage\":\"General Error\"}", OutcomeClass.OutcomeUnknown)]
    [InlineData(HttpStatusCode.Conflict, "{\"responseCode\":\"4097800\",\"responseMessage\":\"Conflict\"}", OutcomeClass.OutcomeUnknown)]
    [InlineData(HttpStatusCode.NotFound, "{\"responseCode\":\"4047813\",\"responseMessage\":\"Invalid Amount\"}", OutcomeClass.Permanent)]
    [InlineData(HttpStatusCode.Accepted, "{\"responseCode\":\"2027800\",\"responseMessage\":\"In progress\"}", OutcomeClass.Pending)]
    [InlineData(HttpStatusCode.TooManyRequests, "{\"responseCode\":\"4297800\",\"responseMessage\":\"Too Many Requests\"}", OutcomeClass.Retryable)]
    [InlineData(HttpStatusCode.BadGateway, "<html><body>502 Bad Gateway</body></html>", OutcomeClass.OutcomeUnknown)]
    [InlineData(HttpStatusCode.OK, "{\"unexpected\":true}", OutcomeClass.OutcomeUnknown)]
    public async Task Should_classify_answer_when_provider_does_not_succeed(HttpStatusCode status, string body, OutcomeClass expected)
    {
        var (client, server) = Create();
        server.Answers.Enqueue((status, body));

        var result = await client.RefundAsync(Providers.Nicepay(), Requests.Nicepay(), "1", CancellationToken.None);

        Assert.Equal(expected, result.Outcome);
        Assert.Equal((int)status, result.HttpStatus);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public async Task Should_not_send_and_return_permanent_when_request_breaks_the_table()
    {
        var (client, server) = Create();
        var request = Requests.Nicepay() with { RefundAmount = new SnapAmount("10,000", "IDR") };

        var result = await client.RefundAsync(Providers.Nicepay(), request, "1", CancellationToken.None);

        Assert.Equal(OutcomeClass.Permanent, result.Outcome);
        Assert.Contains("refundAmount.value", result.Error, StringComparison.Ordinal);
        Assert.Empty(server.Transactions);
        Assert.Equal(0, server.TokenRequests);
    }

    [Fact]
    public async Task Should_not_send_when_external_id_is_not_numeric_or_provider_lacks_endpoint()
    {
        var (client, server) = Create();

        var badId = await client.RefundAsync(Providers.Nicepay(), Requests.Nicepay(), "EXID123", CancellationToken.None);
        var noQuery = await client.QueryAsync(Providers.Bnc(), Requests.Query(), "1", CancellationToken.None);

        Assert.Equal(OutcomeClass.Permanent, badId.Outcome);
        Assert.Contains("X-EXTERNAL-ID", badId.Error, StringComparison.Ordinal);
        Assert.Equal(OutcomeClass.Permanent, noQuery.Outcome);
        Assert.Contains("Snap:Providers:bank:QueryPath", noQuery.Error, StringComparison.Ordinal);
        Assert.Empty(server.Transactions);
    }

    [Fact]
    public async Task Should_return_retryable_without_sending_when_no_token_can_be_had()
    {
        var (client, server) = Create();
        server.TokenAnswer = _ => "{\"responseCode\":\"4017300\",\"responseMessage\":\"Unauthorized. Signature\"}";

        var result = await client.RefundAsync(Providers.Nicepay(), Requests.Nicepay(), "1", CancellationToken.None);

        Assert.Equal(OutcomeClass.Retryable, result.Outcome);
        Assert.Equal(ResponseCode.Of(401, 73, 0), result.Code);
        Assert.Empty(server.Transactions);
    }

    [Fact]
    public async Task Should_parse_query_answer_when_payment_was_refunded()
    {
        var (client, server) = Create();
        server.Answers.Enqueue((HttpStatusCode.OK,
            "{\"responseCode\":\"2005100\",\"responseMessage\":\"Successful\",\"originalReferenceNo\":\"NCPY20221017161458\",\"serviceCode\":\"47\",\"latestTransactionStatus\":\"04\",\"transactionStatusDesc\":\"Refunded\",\"amount\":{\"value\":\"10000.00\",\"currency\":\"IDR\"},\"refundHistory\":[{\"refundNo\":\"RN1\",\"partnerReferenceNo\":\"R1\",\"refundAmount\":{\"value\":\"10000.00\",\"currency\":\"IDR\"},\"refundStatus\":\"00\"}]}"));

        var result = await client.QueryAsync(Providers.Nicepay(), Requests.Query(), "1", CancellationToken.None);

        Assert.Equal(OutcomeClass.Success, result.Outcome);
        Assert.Equal(QueryResponse.StatusRefunded, result.Body!.LatestTransactionStatus);
        Assert.Equal(10000m, result.Body.Amount!.ToDecimal());
        Assert.Equal("R1", Assert.Single(result.Body.RefundHistory!).PartnerReferenceNo);
        Assert.Equal("https://dev.nicepay.test/nicepay/api/v1.0/qr/qr-mpm-query", Assert.Single(server.Transactions).Url.AbsoluteUri);
    }

    [Fact]
    public async Task Should_throw_only_when_caller_cancels()
    {
        var (client, _) = Create();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.RefundAsync(Providers.Nicepay(), Requests.Nicepay(), "1", cts.Token));
    }
}

/// <summary>Real sockets on loopback: what the transport does when the network misbehaves.</summary>
public sealed class SnapClientTransportTests
{
    private static (SnapClient Client, HttpClient Http) RealClient()
    {
        var http = new HttpClient(SnapServiceCollectionExtensions.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        var tokenServer = new FakeSnapServer { TokenDelay = TimeSpan.Zero };
        var tokens = new SnapAccessTokenProvider(new HttpClient(tokenServer), TimeProvider.System);
        return (new SnapClient(http, tokens, TimeProvider.System), http);
    }

    private static SnapProvider ProviderAt(int port, int timeoutSeconds = 10)
    {
        var options = Providers.NicepayOptions($"http://127.0.0.1:{port}/nicepay");
        options.TimeoutSeconds = timeoutSeconds;
        // Token requests go to the in-memory fake; only the transaction goes over the socket.
        return SnapProvider.Create("nicepay", options);
    }

    [Fact]
    public async Task Should_report_connect_failed_and_retryable_when_connection_is_refused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (client, http) = RealClient();
        using (http)
        {
            var result = await client.RefundAsync(ProviderAt(port), Support.Requests.Nicepay(), "1", CancellationToken.None);

            Assert.Equal(TransportFailure.ConnectFailed, result.Transport);
            Assert.Equal(OutcomeClass.Retryable, result.Outcome);
            Assert.Null(result.HttpStatus);
        }
    }

    [Fact]
    public async Task Should_report_reset_after_send_and_unknown_when_peer_resets_after_reading_request()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await ReadRequestAsync(socket);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        });
        var (client, http) = RealClient();
        using (http)
        {
            var result = await client.RefundAsync(ProviderAt(port), Support.Requests.Nicepay(), "1", CancellationToken.None);
            await server;

            Assert.Equal(TransportFailure.ResetAfterSend, result.Transport);
            Assert.Equal(OutcomeClass.OutcomeUnknown, result.Outcome);
        }
    }

    [Fact]
    public async Task Should_report_timeout_and_unknown_when_provider_does_not_answer_in_time()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var release = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await ReadRequestAsync(socket);
            try
            {
                await Task.Delay(Timeout.Infinite, release.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });
        var (client, http) = RealClient();
        using (http)
        {
            var result = await client.RefundAsync(ProviderAt(port, timeoutSeconds: 1), Support.Requests.Nicepay(), "1", CancellationToken.None);
            await release.CancelAsync();
            await server;

            Assert.Equal(TransportFailure.Timeout, result.Transport);
            Assert.Equal(OutcomeClass.OutcomeUnknown, result.Outcome);
            Assert.True(result.Latency >= TimeSpan.FromSeconds(0.9), result.Latency.ToString());
        }
    }

    [Fact]
    public async Task Should_send_exact_bytes_over_the_wire_when_using_real_sockets()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var raw = await ReadRequestAsync(socket);
            var answer = "{\"responseCode\":\"2007800\",\"responseMessage\":\"Successful\"}"u8.ToArray();
            await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {answer.Length}\r\n\r\n").Concat(answer).ToArray());
            return raw;
        });
        var (client, http) = RealClient();
        using (http)
        {
            var request = Support.Requests.Nicepay() with { Reason = "A&B <x> 'y' + café" };
            var result = await client.RefundAsync(ProviderAt(port), request, "1", CancellationToken.None);
            var raw = await server;

            Assert.Equal(OutcomeClass.Success, result.Outcome);
            var split = raw.AsSpan().IndexOf("\r\n\r\n"u8);
            var head = Encoding.ASCII.GetString(raw, 0, split);
            var body = raw[(split + 4)..];
            Assert.StartsWith("POST /nicepay/api/v1.0/qr/qr-mpm-refund HTTP/1.1", head, StringComparison.Ordinal);
            Assert.Equal(SnapJson.Serialize(request), body);
            var headers = head.Split("\r\n").Skip(1).Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
            Assert.Equal("application/json", headers["Content-Type"]);
            Assert.True(SnapSignature.VerifySymmetric("merchant-client-secret-0001", "POST", "/api/v1.0/qr/qr-mpm-refund", headers["Authorization"]["Bearer ".Length..],
                JsonMinifier.Minify(body), headers["X-TIMESTAMP"], headers["X-SIGNATURE"]));
        }
    }

    // Reads one HTTP/1.1 request with a Content-Length body.
    private static async Task<byte[]> ReadRequestAsync(Socket socket)
    {
        var buffer = new List<byte>();
        var chunk = new byte[8192];
        while (true)
        {
            var n = await socket.ReceiveAsync(chunk);
            if (n == 0)
            {
                return [.. buffer];
            }

            buffer.AddRange(chunk.AsSpan(0, n));
            var all = buffer.ToArray();
            var end = all.AsSpan().IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                continue;
            }

            var head = Encoding.ASCII.GetString(all, 0, end);
            var length = head.Split("\r\n")
                .Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(l => int.Parse(l["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                .FirstOrDefault();
            if (all.Length >= end + 4 + length)
            {
                return all;
            }
        }
    }
}
