using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;

namespace RefundWorker.Snap;

/// <summary>
/// The B2B access token of each provider (docs/protocol.md#access-token), shared by every call to that provider:
/// <list type="bullet">
/// <item>cached per provider, and refreshed before it expires (60 s or 10 % of its life, whichever is longer);</item>
/// <item>single-flight: however many callers need a token at once, one request goes out and all await it;</item>
/// <item><see cref="Invalidate"/> after a 401xx01/401xx03 drops the rejected token so the next caller fetches a new one.</item>
/// </list>
/// The hot path (a cached, fresh token) is one dictionary lookup and a clock read, with no allocation.
/// </summary>
public sealed class SnapAccessTokenProvider
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client used for token requests.</summary>
    public const string HttpClientName = "RefundWorker.Snap.Token";

    // A token endpoint that fails is not asked again for this long: without it every caller arriving after a
    // failure would start a new request, hammering a provider that is already down.
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinimumSkew = TimeSpan.FromSeconds(60);
    private static readonly byte[] TokenRequestBody = SnapJson.Serialize(new TokenRequest());

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.OrdinalIgnoreCase);

    public SnapAccessTokenProvider(HttpClient http, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        _http = http;
        _time = time;
    }

    /// <summary>
    /// A valid access token for <paramref name="provider"/>. Throws <see cref="SnapTokenException"/> when none can
    /// be obtained; <paramref name="cancellationToken"/> stops this caller's wait, not the shared request.
    /// </summary>
    public ValueTask<string> GetAsync(SnapProvider provider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var slot = _slots.GetOrAdd(provider.Name, static _ => new Slot());
        var current = Volatile.Read(ref slot.Current);
        if (current is not null && _time.GetUtcNow() < current.RefreshAt)
        {
            return ValueTask.FromResult(current.Value);
        }

        return new ValueTask<string>(RefreshAsync(provider, slot, current, cancellationToken));
    }

    /// <summary>
    /// Drops the cached token if it is still <paramref name="rejectedToken"/> (a provider answered 401xx01/401xx03).
    /// A token already replaced by a concurrent refresh is kept.
    /// </summary>
    public void Invalidate(SnapProvider provider, string rejectedToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (_slots.TryGetValue(provider.Name, out var slot))
        {
            var current = Volatile.Read(ref slot.Current);
            if (current is not null && string.Equals(current.Value, rejectedToken, StringComparison.Ordinal))
            {
                Interlocked.CompareExchange(ref slot.Current, null, current);
            }
        }
    }

    private async Task<string> RefreshAsync(SnapProvider provider, Slot slot, CachedToken? stale, CancellationToken cancellationToken)
    {
        Task<CachedToken> fetch;
        lock (slot.Gate)
        {
            var current = Volatile.Read(ref slot.Current);
            if (current is not null && !ReferenceEquals(current, stale) && _time.GetUtcNow() < current.RefreshAt)
            {
                return current.Value;
            }

            if (slot.Pending is { IsCompleted: false } pending)
            {
                fetch = pending;
            }
            else if (slot.LastFailure is { } failure && _time.GetUtcNow() - failure.At < FailureBackoff)
            {
                fetch = Task.FromException<CachedToken>(failure.Error);
            }
            else
            {
                // Not tied to any caller's token: one caller giving up must not fail the others' shared request.
                fetch = slot.Pending = FetchAsync(provider, slot);
            }
        }

        try
        {
            var token = await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
            return token.Value;
        }
        catch (SnapTokenException) when (stale is not null && _time.GetUtcNow() < stale.ExpiresAt && ReferenceEquals(Volatile.Read(ref slot.Current), stale))
        {
            // Refreshing early failed, but the token we hold has not expired yet: keep using it.
            return stale.Value;
        }
    }

    private async Task<CachedToken> FetchAsync(SnapProvider provider, Slot slot)
    {
        await Task.Yield();
        try
        {
            var token = await RequestTokenAsync(provider).ConfigureAwait(false);
            Volatile.Write(ref slot.Current, token);
            slot.LastFailure = null;
            return token;
        }
        catch (Exception ex)
        {
            var error = ex as SnapTokenException
                ?? new SnapTokenException(provider.Name, $"token request failed: {ex.GetType().Name}", TransportFailure.InvalidResponse, null, null, ex);
            slot.LastFailure = new Failure(_time.GetUtcNow(), error);
            throw error;
        }
    }

    private async Task<CachedToken> RequestTokenAsync(SnapProvider provider)
    {
        var requestedAt = _time.GetUtcNow();
        var timestamp = SnapTimestamp.Format(requestedAt);
        var signature = SnapSignature.SignToken(provider.PrivateKey, provider.ClientId, timestamp, provider.TokenSeparator);

        using var request = new HttpRequestMessage(HttpMethod.Post, provider.TokenEndpoint.Url);
        request.Content = new ByteArrayContent(TokenRequestBody);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("X-TIMESTAMP", timestamp);
        request.Headers.TryAddWithoutValidation("X-CLIENT-KEY", provider.ClientId);
        request.Headers.TryAddWithoutValidation("X-SIGNATURE", signature);

        using var timeout = new CancellationTokenSource(provider.Timeout);
        HttpResponseMessage response;
        byte[] body;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            using (response)
            {
                body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (SnapTransport.TryClassify(ex, timeout.IsCancellationRequested, CancellationToken.None, out var failure))
        {
            throw new SnapTokenException(provider.Name, $"token request failed: {failure}", failure, null, null, ex);
        }

        var status = (int)response.StatusCode;
        TokenResponse? parsed = null;
        try
        {
            parsed = SnapJson.Deserialize<TokenResponse>(body);
        }
        catch (System.Text.Json.JsonException)
        {
            // Reported below as an unreadable answer.
        }

        ResponseCode? code = ResponseCode.TryParse(parsed?.ResponseCode, out var c) ? c : null;
        var accepted = code is { } k ? ResponseClassifier.Classify(k) == OutcomeClass.Success : status is >= 200 and < 300;
        if (!accepted || string.IsNullOrEmpty(parsed?.AccessToken))
        {
            var what = parsed is null
                ? $"HTTP {status} with an unreadable body"
                : $"HTTP {status}, responseCode {parsed.ResponseCode ?? "(none)"}, \"{parsed.ResponseMessage}\"";
            throw new SnapTokenException(provider.Name, $"token request refused: {what}", parsed is null ? TransportFailure.InvalidResponse : null, status, code);
        }

        var lifetime = ParseLifetime(parsed.ExpiresIn);
        var skew = TimeSpan.FromTicks(Math.Max(MinimumSkew.Ticks, lifetime.Ticks / 10));
        // A lifetime shorter than the skew would mean "always refresh": keep at least half of it usable.
        skew = TimeSpan.FromTicks(Math.Min(skew.Ticks, lifetime.Ticks / 2));
        return new CachedToken(parsed.AccessToken, requestedAt + lifetime - skew, requestedAt + lifetime);
    }

    // expiresIn is a string of seconds (docs/protocol.md#access-token); 900 is usual and is assumed when it is missing.
    private static TimeSpan ParseLifetime(string? expiresIn)
        => int.TryParse(expiresIn, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(900);

    private sealed record CachedToken(string Value, DateTimeOffset RefreshAt, DateTimeOffset ExpiresAt);

    private sealed record Failure(DateTimeOffset At, SnapTokenException Error);

    private sealed class Slot
    {
        public readonly Lock Gate = new();
        public CachedToken? Current;
        public Task<CachedToken>? Pending;
        public Failure? LastFailure;
    }
}

/// <summary>No access token could be obtained from a provider. Nothing was sent for the transaction.</summary>
public sealed class SnapTokenException : Exception
{
    public SnapTokenException()
    {
    }

    public SnapTokenException(string message)
        : base(message)
    {
    }

    public SnapTokenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SnapTokenException(string provider, string message, TransportFailure? transport, int? httpStatus, ResponseCode? code, Exception? innerException = null)
        : base($"SNAP provider '{provider}': {message}", innerException)
    {
        Provider = provider;
        Transport = transport;
        HttpStatus = httpStatus;
        Code = code;
    }

    public string? Provider { get; }

    public TransportFailure? Transport { get; }

    public int? HttpStatus { get; }

    public ResponseCode? Code { get; }
}
