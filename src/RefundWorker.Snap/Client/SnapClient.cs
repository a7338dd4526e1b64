using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace RefundWorker.Snap;

/// <summary>
/// Sends SNAP transaction calls (refund, cancel, query). The body is serialized once with <see cref="SnapJson"/>;
/// the same bytes are hashed and sent (docs/protocol.md#minified-body). Provider and transport failures never
/// throw: they come back as a <see cref="SnapCallResult{T}"/> whose <see cref="OutcomeClass"/> says what to do.
/// Only the caller's own cancellation throws (<see cref="OperationCanceledException"/>).
/// </summary>
/// <remarks>
/// Typed <see cref="HttpClient"/>: register with <c>AddSnapProviders</c>, which gives it a pooled
/// <see cref="SocketsHttpHandler"/>. The per-call timeout is the provider's <c>TimeoutSeconds</c>, not
/// <see cref="HttpClient.Timeout"/>.
/// </remarks>
public sealed class SnapClient
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client for transaction calls.</summary>
    public const string HttpClientName = "RefundWorker.Snap.Transaction";

    private readonly HttpClient _http;
    private readonly SnapAccessTokenProvider _tokens;
    private readonly TimeProvider _time;
    private readonly IExternalIdGenerator _externalIds;

    public SnapClient(HttpClient http, SnapAccessTokenProvider tokens, TimeProvider time, IExternalIdGenerator? externalIds = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(time);
        _http = http;
        _tokens = tokens;
        _time = time;
        _externalIds = externalIds ?? ExternalIdGenerator.Default;
    }

    /// <summary>
    /// Obtains the provider's access token now unless one is cached. A caller that paces its calls does this before
    /// taking its slot, so calls that waited together on one token fetch do not then leave together. A failure is
    /// left for the call itself to meet and classify.
    /// </summary>
    public async ValueTask WarmUpTokenAsync(SnapProvider provider, CancellationToken cancellationToken)
    {
        try
        {
            await _tokens.GetAsync(provider, cancellationToken).ConfigureAwait(false);
        }
        catch (SnapTokenException)
        {
        }
    }

    /// <summary>QRIS refund; <paramref name="request"/> is a <see cref="NicepayRefundRequest"/> or a <see cref="BankRefundRequest"/>.</summary>
    public Task<SnapCallResult<RefundResponse>> RefundAsync(SnapProvider provider, object request, string externalId, CancellationToken cancellationToken, SnapSendingHook? onSending = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(request);
        IReadOnlyList<SnapFieldError> errors;
        byte[] body;
        switch (request)
        {
            case NicepayRefundRequest nicepay:
                errors = SnapValidator.Validate(nicepay, provider.AmountFormat);
                body = errors.Count == 0 ? JsonSerializer.SerializeToUtf8Bytes(nicepay, TypeInfo<NicepayRefundRequest>()) : [];
                break;
            case BankRefundRequest bank:
                errors = SnapValidator.Validate(bank, provider.AmountFormat);
                body = errors.Count == 0 ? JsonSerializer.SerializeToUtf8Bytes(bank, TypeInfo<BankRefundRequest>()) : [];
                break;
            default:
                throw new ArgumentException(
                    $"A refund request is a {nameof(NicepayRefundRequest)} or a {nameof(BankRefundRequest)}, not {request.GetType().Name}.",
                    nameof(request));
        }

        return SendAsync(provider, provider.RefundEndpoint, "RefundPath", body, errors, externalId, TypeInfo<RefundResponse>(), static r => r.ResponseCode, onSending, cancellationToken);
    }

    /// <summary>QRIS MPM cancel (iFortePay).</summary>
    public Task<SnapCallResult<CancelResponse>> CancelAsync(SnapProvider provider, QrCancelRequest request, string externalId, CancellationToken cancellationToken, SnapSendingHook? onSending = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(request);
        var errors = SnapValidator.Validate(request);
        var body = errors.Count == 0 ? JsonSerializer.SerializeToUtf8Bytes(request, TypeInfo<QrCancelRequest>()) : [];
        return SendAsync(provider, provider.CancelEndpoint, "CancelPath", body, errors, externalId, TypeInfo<CancelResponse>(), static r => r.ResponseCode, onSending, cancellationToken);
    }

    /// <summary>QR MPM status query, to resolve an unknown outcome.</summary>
    public Task<SnapCallResult<QueryResponse>> QueryAsync(SnapProvider provider, QrQueryRequest request, string externalId, CancellationToken cancellationToken, SnapSendingHook? onSending = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(request);
        var errors = SnapValidator.Validate(request);
        var body = errors.Count == 0 ? JsonSerializer.SerializeToUtf8Bytes(request, TypeInfo<QrQueryRequest>()) : [];

        // refundHistory is bound by the model; a provider whose profile names the list otherwise is read here.
        var listField = provider.RefundListField;
        Func<QueryResponse, byte[], QueryResponse>? complete = string.Equals(listField, QueryResponse.RefundHistoryField, StringComparison.OrdinalIgnoreCase)
            ? null
            : (parsed, raw) => parsed with { RefundHistory = ReadRefundList(raw, listField) };
        return SendAsync(provider, provider.QueryEndpoint, "QueryPath", body, errors, externalId, TypeInfo<QueryResponse>(), static r => r.ResponseCode, onSending, cancellationToken, complete);
    }

    /// <summary>
    /// The list of refunds named <paramref name="field"/> (matched without regard to case, as every response field
    /// is), or null when the answer has none. A list that is not an array of refunds throws <see cref="JsonException"/>:
    /// an answer whose list cannot be read is treated like any unreadable answer, never as one without a list.
    /// </summary>
    private static IReadOnlyList<RefundHistoryItem>? ReadRefundList(byte[] answer, string field)
    {
        using var doc = JsonDocument.Parse(answer);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (!string.Equals(property.Name, field, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            return property.Value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.Array => property.Value.Deserialize(TypeInfo<List<RefundHistoryItem>>()),
                _ => throw new JsonException($"'{field}' is a {property.Value.ValueKind}, not a list of refunds."),
            };
        }

        return null;
    }

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)SnapJson.Options.GetTypeInfo(typeof(T));

    private async Task<SnapCallResult<T>> SendAsync<T>(
        SnapProvider provider,
        SnapEndpoint? endpoint,
        string pathSetting,
        byte[] body,
        IReadOnlyList<SnapFieldError> errors,
        string externalId,
        JsonTypeInfo<T> responseType,
        Func<T, string?> responseCodeOf,
        SnapSendingHook? onSending,
        CancellationToken cancellationToken,
        Func<T, byte[], T>? complete = null)
        where T : class
    {
        // A caller that has already given up (shutdown) must not start a refund it will not see the end of.
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();

        // Refused before anything is sent: our request is wrong, retrying it unchanged cannot help.
        if (errors.Count > 0)
        {
            return new SnapCallResult<T>(OutcomeClass.Permanent, null, null, null, null, externalId, TimeSpan.Zero,
                "invalid request: " + string.Join("; ", errors));
        }

        if (endpoint is null)
        {
            return new SnapCallResult<T>(OutcomeClass.Permanent, null, null, null, null, externalId, TimeSpan.Zero,
                $"provider '{provider.Name}' ({provider.Profile.Name}) has no such endpoint; set {SnapProvider.SettingKey(provider.Name, pathSetting)}");
        }

        var idErrors = SnapValidator.ValidateExternalId(externalId, provider.ExternalIdMaxLength);
        if (idErrors.Count > 0)
        {
            return new SnapCallResult<T>(OutcomeClass.Permanent, null, null, null, null, externalId ?? "", TimeSpan.Zero,
                "invalid request: " + string.Join("; ", idErrors));
        }

        var result = await AttemptAsync(provider, endpoint, body, externalId, responseType, responseCodeOf, complete, started, onSending, cancellationToken).ConfigureAwait(false);
        if (result.Outcome == OutcomeClass.RefreshToken && result.RejectedToken is not null)
        {
            // A rejected token means nothing was processed; the retry gets a new token and, because the provider
            // has seen this X-EXTERNAL-ID today, a new external id too. The refused one is reported with the
            // result, so an audit trail holds every X-EXTERNAL-ID that was sent.
            _tokens.Invalidate(provider, result.RejectedToken);
            var refused = result.Result;
            var retryId = _externalIds.Next(provider.PartnerId, provider.ExternalIdMaxLength);
            result = await AttemptAsync(provider, endpoint, body, retryId, responseType, responseCodeOf, complete, started, onSending, cancellationToken).ConfigureAwait(false);
            return result.Result with { Refreshed = new SnapRefusedCall(refused.ExternalId, refused.HttpStatus, refused.Code, refused.Latency) };
        }

        return result.Result;
    }

    private async Task<Attempt<T>> AttemptAsync<T>(
        SnapProvider provider,
        SnapEndpoint endpoint,
        byte[] body,
        string externalId,
        JsonTypeInfo<T> responseType,
        Func<T, string?> responseCodeOf,
        Func<T, byte[], T>? complete,
        long started,
        SnapSendingHook? onSending,
        CancellationToken cancellationToken)
        where T : class
    {
        string token;
        try
        {
            token = await _tokens.GetAsync(provider, cancellationToken).ConfigureAwait(false);
        }
        catch (SnapTokenException ex)
        {
            // No token, so the transaction was never sent: safe to retry later.
            return new Attempt<T>(
                new SnapCallResult<T>(OutcomeClass.Retryable, ex.HttpStatus, ex.Code, null, ex.Transport, externalId, _time.GetElapsedTime(started), ex.Message),
                null);
        }

        // The caller records the X-EXTERNAL-ID before it goes on the wire; if it cannot, nothing is sent. It may also
        // hold the request for its turn under the provider's rate limit, so the timestamp and signature come after:
        // X-TIMESTAMP is the moment of sending.
        if (onSending is not null)
        {
            await onSending(externalId, cancellationToken).ConfigureAwait(false);
        }

        var timestamp = SnapTimestamp.Now(_time);
        var signature = SnapSignature.SignSymmetric(provider.ClientSecret, "POST", endpoint.SignedPath, token, body, timestamp);

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url);
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Content = content;
        var headers = request.Headers;
        headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        headers.TryAddWithoutValidation("X-TIMESTAMP", timestamp);
        headers.TryAddWithoutValidation("X-SIGNATURE", signature);
        headers.TryAddWithoutValidation("X-PARTNER-ID", provider.PartnerId);
        headers.TryAddWithoutValidation("X-EXTERNAL-ID", externalId);
        headers.TryAddWithoutValidation("CHANNEL-ID", provider.ChannelId);
        if (provider.Origin is not null)
        {
            headers.TryAddWithoutValidation("ORIGIN", provider.Origin);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(provider.Timeout);
        int status;
        byte[] answer;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            answer = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (SnapTransport.TryClassify(ex, timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested, cancellationToken, out var failure))
        {
            return new Attempt<T>(
                new SnapCallResult<T>(ResponseClassifier.ClassifyTransport(failure), null, null, null, failure, externalId, _time.GetElapsedTime(started),
                    $"{failure} calling {endpoint.Url.AbsolutePath} of provider '{provider.Name}': {ex.GetType().Name}"),
                null);
        }

        T? parsed = null;
        string? responseCode = null;
        if (answer.Length > 0)
        {
            try
            {
                var read = JsonSerializer.Deserialize(answer, responseType);
                parsed = read is not null && complete is not null ? complete(read, answer) : read;
                responseCode = parsed is null ? null : responseCodeOf(parsed);
            }
            catch (JsonException)
            {
                // A proxy's HTML error page, a truncated body: classified from the HTTP status below.
            }
        }

        var outcome = ResponseClassifier.ClassifyHttp(status, responseCode);
        var latency = _time.GetElapsedTime(started);
        if (ResponseCode.TryParse(responseCode, out var code))
        {
            var message = outcome == OutcomeClass.Success ? null : $"{code} {Describe(parsed)}";
            return new Attempt<T>(
                new SnapCallResult<T>(outcome, status, code, parsed, null, externalId, latency, message),
                outcome == OutcomeClass.RefreshToken ? token : null);
        }

        return new Attempt<T>(
            new SnapCallResult<T>(outcome, status, null, parsed, TransportFailure.InvalidResponse, externalId, latency,
                $"HTTP {status} without a readable responseCode from provider '{provider.Name}'"),
            outcome == OutcomeClass.RefreshToken ? token : null);
    }

    private static string Describe(object? body) => body switch
    {
        RefundResponse r => r.ResponseMessage,
        CancelResponse c => c.ResponseMessage,
        QueryResponse q => q.ResponseMessage,
        _ => "",
    };

    private readonly record struct Attempt<T>(SnapCallResult<T> Result, string? RejectedToken)
        where T : class
    {
        public OutcomeClass Outcome => Result.Outcome;
    }
}
