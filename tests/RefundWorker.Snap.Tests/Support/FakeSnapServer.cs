using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace RefundWorker.Snap.Tests.Support;

/// <summary>
/// An in-process provider behind an <see cref="HttpMessageHandler"/>: counts token requests, records what each
/// transaction request carried (headers and the exact body bytes), and answers what the test scripts.
/// </summary>
internal sealed class FakeSnapServer : HttpMessageHandler
{
    private int _tokenRequests;
    private int _tokenSerial;

    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Delay before a token answer, so concurrent callers overlap with the one request in flight.</summary>
    public TimeSpan TokenDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    public string ExpiresIn { get; set; } = "900";

    public Func<HttpStatusCode, string>? TokenAnswer { get; set; }

    public ConcurrentQueue<Recorded> Transactions { get; } = new();

    public ConcurrentQueue<Recorded> TokenCalls { get; } = new();

    /// <summary>Answers to transaction calls, in order; the last one repeats.</summary>
    public ConcurrentQueue<(HttpStatusCode Status, string Body)> Answers { get; } = new();

    private (HttpStatusCode Status, string Body) _lastAnswer = (HttpStatusCode.OK, "{\"responseCode\":\"2007800\",\"responseMessage\":\"Successful\"}");

    public string TokenNumber(int n) => $"token-{n}";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var recorded = new Recorded(
            request.Method.Method,
            request.RequestUri!,
            request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase),
            request.Content?.Headers.ContentType?.ToString(),
            body);

        if (request.RequestUri!.AbsolutePath.EndsWith("/access-token/b2b", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _tokenRequests);
            TokenCalls.Enqueue(recorded);
            await Task.Delay(TokenDelay, cancellationToken);
            var n = Interlocked.Increment(ref _tokenSerial);
            var json = TokenAnswer?.Invoke(HttpStatusCode.OK)
                ?? $"{{\"responseCode\":\"2007300\",\"responseMessage\":\"Successful\",\"accessToken\":\"{TokenNumber(n)}\",\"tokenType\":\"Bearer\",\"expiresIn\":\"{ExpiresIn}\"}}";
            return Json(HttpStatusCode.OK, json);
        }

        Transactions.Enqueue(recorded);
        if (Answers.TryDequeue(out var answer))
        {
            _lastAnswer = answer;
        }

        return Json(_lastAnswer.Status, _lastAnswer.Body);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body)
        => new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    internal sealed record Recorded(string Method, Uri Url, Dictionary<string, string> Headers, string? ContentType, byte[] Body);
}
