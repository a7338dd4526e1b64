using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox;

/// <summary>
/// The providers' SNAP endpoints. Per request: read the body, draw the fault, then check in the order providers
/// do (mandatory headers, token, partner, timestamp, signature, external id, body fields), then act on the ledger.
/// The hot path takes no global lock and logs nothing.
/// </summary>
internal sealed class SnapEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;
    private static readonly byte[] ServiceUnavailableText = Encoding.ASCII.GetBytes("503 Service Unavailable");
    private static readonly string[] TransactionHeaders = ["X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID", "CHANNEL-ID"];
    private static readonly string[] TokenHeaders = ["X-TIMESTAMP", "X-CLIENT-KEY", "X-SIGNATURE"];

    private readonly SandboxRuntime _rt;
    private readonly CancellationToken _stopping;

    private SnapEndpoints(SandboxRuntime rt, CancellationToken stopping)
    {
        _rt = rt;
        _stopping = stopping;
    }

    public static void Map(IEndpointRouteBuilder app, SandboxRuntime rt, CancellationToken stopping)
    {
        var e = new SnapEndpoints(rt, stopping);
        foreach (var p in rt.Providers.Values)
        {
            app.MapPost(p.PathPrefix + p.TokenPath, ctx => e.HandleAsync(ctx, p, SandboxOperation.Token));
            if (p.RefundPath is { } refund)
            {
                app.MapPost(p.PathPrefix + refund, ctx => e.HandleAsync(ctx, p, SandboxOperation.Refund));
            }

            if (p.CancelPath is { } cancel)
            {
                app.MapPost(p.PathPrefix + cancel, ctx => e.HandleAsync(ctx, p, SandboxOperation.Cancel));
            }

            if (p.QueryPath is { } query)
            {
                app.MapPost(p.PathPrefix + query, ctx => e.HandleAsync(ctx, p, SandboxOperation.Query));
            }
        }
    }

    private async Task HandleAsync(HttpContext ctx, ProviderRuntime p, SandboxOperation op)
    {
        try
        {
            var body = await ReadBodyAsync(ctx);
            var decision = _rt.Faults.Decide(p.Name, op);
            if (decision.Delay > TimeSpan.Zero)
            {
                await Task.Delay(decision.Delay, _rt.Time, ctx.RequestAborted);
            }

            if (await AnsweredByFaultAsync(ctx, p, op, decision))
            {
                return;
            }

            var reply = body is null
                ? Error(400, ServiceCode(op), 0, "Bad Request. Body too large")
                : op == SandboxOperation.Token ? Token(ctx, p, body) : Transaction(ctx, p, op, body);

            _rt.Stats.Record(p.Name, op, reply.Outcome);
            switch (decision.Kind)
            {
                // The request is applied (ledger booked above); only the answer is lost.
                case FaultKind.LostResponse504:
                    _rt.Stats.Record(p.Name, op, "LOST504");
                    await WriteAsync(ctx, Error(504, ServiceCode(op), 0, "Timeout"));
                    break;
                case FaultKind.LostResponseAbort:
                    _rt.Stats.Record(p.Name, op, "ABORTED");
                    ctx.Abort();
                    break;
                case FaultKind.LostResponseHang:
                    _rt.Stats.Record(p.Name, op, "HUNG");
                    await HangAsync(ctx, decision.HangFor);
                    break;
                default:
                    await WriteAsync(ctx, reply);
                    break;
            }
        }
        catch (Exception ex) when (ctx.RequestAborted.IsCancellationRequested || ex is IOException or BadHttpRequestException)
        {
            // The client went away (its timeout, a reset): there is nobody to answer.
        }
    }

    private async Task<bool> AnsweredByFaultAsync(HttpContext ctx, ProviderRuntime p, SandboxOperation op, FaultDecision decision)
    {
        var svc = ServiceCode(op);
        Reply reply;
        switch (decision.Kind)
        {
            case FaultKind.Error500:
                reply = Error(500, svc, 1, "Internal Server Error");
                break;
            case FaultKind.Error504:
                reply = Error(504, svc, 0, "Timeout");
                break;
            case FaultKind.Error429:
                reply = Error(429, svc, 0, "Too Many Requests");
                break;
            case FaultKind.Respond:
                var code = ResponseCode.Parse(decision.Step!.ResponseCode!);
                reply = Error(code.HttpStatus, code.ServiceCode, code.CaseCode, decision.Step.ResponseMessage ?? "Sandbox scripted response");
                break;
            case FaultKind.Error503:
                // What a load balancer in front of the provider sends: no SNAP body at all.
                _rt.Stats.Record(p.Name, op, "HTTP503");
                ctx.Response.StatusCode = 503;
                ctx.Response.ContentType = "text/plain";
                ctx.Response.ContentLength = ServiceUnavailableText.Length;
                await ctx.Response.Body.WriteAsync(ServiceUnavailableText, ctx.RequestAborted);
                return true;
            case FaultKind.Hang:
                _rt.Stats.Record(p.Name, op, "HUNG");
                await HangAsync(ctx, decision.HangFor);
                return true;
            default:
                return false;
        }

        _rt.Stats.Record(p.Name, op, reply.Outcome);
        await WriteAsync(ctx, reply);
        return true;
    }

    // Holds the request open (the client's timeout fires first), then drops the connection.
    private async Task HangAsync(HttpContext ctx, TimeSpan hangFor)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping);
        try
        {
            await Task.Delay(hangFor, _rt.Time, cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        ctx.Abort();
    }

    private Reply Token(HttpContext ctx, ProviderRuntime p, byte[] body)
    {
        const int svc = ServiceCodes.Token;
        var h = ctx.Request.Headers;
        foreach (var name in TokenHeaders)
        {
            if (string.IsNullOrEmpty(h[name]))
            {
                return Error(400, svc, 2, $"Invalid Mandatory Field {{{name}}}");
            }
        }

        string timestamp = h["X-TIMESTAMP"]!, clientKey = h["X-CLIENT-KEY"]!, signature = h["X-SIGNATURE"]!;
        if (!SnapTimestamp.TryParse(timestamp, out var instant))
        {
            return Error(400, svc, 1, "Invalid Field Format {X-TIMESTAMP}");
        }

        if (!string.Equals(clientKey, p.ClientId, StringComparison.Ordinal))
        {
            return Error(401, svc, 0, "Unauthorized. Unknown client");
        }

        if ((_rt.Time.GetUtcNow() - instant).Duration() > p.TimestampSkew)
        {
            return Error(401, svc, 0, "Unauthorized. X-TIMESTAMP out of range");
        }

        if (!p.VerifyTokenSignature(clientKey, timestamp, signature))
        {
            return Error(401, svc, 0, "Unauthorized. Signature");
        }

        if (!TryParse(body, out var doc))
        {
            return Error(400, svc, 0, "Bad Request. Malformed JSON");
        }

        using (doc)
        {
            var f = new FieldReader();
            var grantType = f.String(doc.RootElement, "grantType", "grantType", mandatory: true, 32);
            if (f.Failed)
            {
                return FieldError(svc, f);
            }

            if (grantType != "client_credentials")
            {
                return Error(400, svc, 1, "Invalid Field Format {grantType}");
            }
        }

        // "Token expiry earlier than announced": the fault shortens the real lifetime, never expiresIn.
        var actual = _rt.Faults.Current(p.Name).TokenActualLifetimeSeconds is { } s ? Math.Min(s, p.TokenLifetimeSeconds) : p.TokenLifetimeSeconds;
        var token = _rt.Tokens.Issue(p.Name, p.ClientId, TimeSpan.FromSeconds(actual));
        return Ok(
            ResponseCode.Of(200, svc, 0).ToString(),
            new TokenResponseBody
            {
                ResponseCode = ResponseCode.Of(200, svc, 0).ToString(),
                ResponseMessage = "Successful",
                AccessToken = token,
                TokenType = "Bearer",
                ExpiresIn = p.TokenLifetimeSeconds.ToString(CultureInfo.InvariantCulture),
            },
            SandboxJson.Context.TokenResponseBody);
    }

    private Reply Transaction(HttpContext ctx, ProviderRuntime p, SandboxOperation op, byte[] body)
    {
        var svc = ServiceCode(op);
        var h = ctx.Request.Headers;
        string? authorization = h.Authorization;
        if (string.IsNullOrEmpty(authorization)
            || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            || authorization.Length <= 7)
        {
            return Error(401, svc, 1, "Invalid Token (B2B)");
        }

        foreach (var name in TransactionHeaders)
        {
            if (string.IsNullOrEmpty(h[name]))
            {
                return Error(400, svc, 2, $"Invalid Mandatory Field {{{name}}}");
            }
        }

        if (p.RequireOrigin && string.IsNullOrEmpty(h.Origin))
        {
            return Error(400, svc, 2, "Invalid Mandatory Field {ORIGIN}");
        }

        var token = authorization[7..].Trim();
        string timestamp = h["X-TIMESTAMP"]!, signature = h["X-SIGNATURE"]!, partnerId = h["X-PARTNER-ID"]!, externalId = h["X-EXTERNAL-ID"]!;
        if (!_rt.Tokens.IsValid(token, p.Name, out var issued))
        {
            return Error(401, svc, 1, "Invalid Token (B2B)");
        }

        if (!string.Equals(partnerId, issued.ClientId, StringComparison.Ordinal))
        {
            return Error(401, svc, 0, "Unauthorized. Unknown X-PARTNER-ID");
        }

        if (!SnapTimestamp.TryParse(timestamp, out var instant))
        {
            return Error(400, svc, 1, "Invalid Field Format {X-TIMESTAMP}");
        }

        if (p.CheckTransactionTimestamp && (_rt.Time.GetUtcNow() - instant).Duration() > p.TimestampSkew)
        {
            return Error(401, svc, 0, "Unauthorized. X-TIMESTAMP out of range");
        }

        // HMAC over the minified body as received and the path without the provider's prefix (docs/protocol.md#signed-path).
        if (!SnapSignature.VerifySymmetric(p.ClientSecret, "POST", RelativePath(ctx, p), token, JsonMinifier.Minify(body), timestamp, signature))
        {
            return Error(401, svc, 0, "Unauthorized. Signature");
        }

        if (externalId.Length > p.ExternalIdMaxLength || (p.ExternalIdNumeric && !externalId.All(char.IsAsciiDigit)))
        {
            return Error(400, svc, 1, "Invalid Field Format {X-EXTERNAL-ID}");
        }

        if (!_rt.ExternalIds.TryRegister(p.Name, partnerId, externalId))
        {
            return Error(409, svc, 0, "Conflict");
        }

        if (!TryParse(body, out var doc))
        {
            return Error(400, svc, 0, "Bad Request. Malformed JSON");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Error(400, svc, 0, "Bad Request. Body must be a JSON object");
            }

            return op switch
            {
                SandboxOperation.Refund => Refund(p, root, externalId, ctx),
                SandboxOperation.Cancel => Cancel(p, root, externalId),
                _ => Query(p, root),
            };
        }
    }

    private Reply Refund(ProviderRuntime p, JsonElement root, string externalId, HttpContext ctx)
    {
        const int svc = ServiceCodes.QrRefund;
        var f = new FieldReader();
        string? reference, partnerReference, originalExternalId = null, partnerRefundNo, merchantId, reason, cancelType = null;
        (decimal Amount, string Value, string Currency)? amount;
        JsonElement? info;
        if (p.IsNicepay)
        {
            // NICEPAY's refund table (docs/protocol.md#nicepay-refund).
            reference = f.String(root, "originalReferenceNo", "originalReferenceNo", mandatory: true, 40);
            partnerReference = f.String(root, "originalPartnerReferenceNo", "originalPartnerReferenceNo", mandatory: true, 40);
            partnerRefundNo = f.String(root, "partnerRefundNo", "partnerRefundNo", mandatory: true, 40);
            merchantId = f.String(root, "merchantId", "merchantId", mandatory: true, 40);
            f.String(root, "externalStoreId", "externalStoreId", mandatory: false, 40);
            amount = f.Amount(root, "refundAmount", mandatory: true, p.AmountFormat, 16);
            reason = f.String(root, "reason", "reason", mandatory: false, 256);
            info = f.Object(root, "additionalInfo", "additionalInfo", mandatory: true);
            if (info is { } i)
            {
                cancelType = f.String(i, "cancelType", "additionalInfo.cancelType", mandatory: true, 1);
                if (cancelType is not (null or "1" or "2"))
                {
                    f.Fail(1, "additionalInfo.cancelType");
                }
            }
        }
        else
        {
            // docs/protocol.md#bank-refund: the original is named by any of three identifiers (all O, so at least one).
            partnerReference = f.String(root, "originalPartnerReferenceNo", "originalPartnerReferenceNo", mandatory: false, 50);
            reference = f.String(root, "originalReferenceNo", "originalReferenceNo", mandatory: false, 32);
            originalExternalId = f.String(root, "originalExternalId", "originalExternalId", mandatory: false, 50);
            partnerRefundNo = f.String(root, "partnerRefundNo", "partnerRefundNo", mandatory: true, 50);
            amount = f.Amount(root, "refundAmount", mandatory: true, p.AmountFormat, 10);
            reason = f.String(root, "reason", "reason", mandatory: false, 256);
            merchantId = f.String(root, "merchantId", "merchantId", mandatory: false, 64);
            f.String(root, "subMerchantId", "subMerchantId", mandatory: false, 64);
            f.String(root, "externalStoreId", "externalStoreId", mandatory: false, 64);
            info = f.Object(root, "additionalInfo", "additionalInfo", mandatory: false);
            if (!f.Failed && reference is null && partnerReference is null && originalExternalId is null)
            {
                f.Fail(2, "originalReferenceNo");
            }
        }

        if (f.Failed)
        {
            return FieldError(svc, f);
        }

        var original = _rt.Ledger.Resolve(p.Name, reference, partnerReference, originalExternalId);
        if (original is null || (original.MerchantId is not null && merchantId is not null && original.MerchantId != merchantId))
        {
            return Error(404, svc, 1, "Transaction Not Found");
        }

        var (value, valueText, currency) = amount!.Value;
        var idempotent = _rt.Behaviours.Current(p.Name).Idempotent;
        var outcome = _rt.Ledger.Refund(p, original, new RefundAttempt(partnerRefundNo!, value, currency, cancelType, reason, externalId), idempotent);
        switch (outcome.Result)
        {
            case RefundResult.Refunded:
                return RefundOk(p, original, outcome.Refund!, valueText, info);
            case RefundResult.Duplicate:
                return p.DuplicateRefund == DuplicateRefundPolicy.ReturnOriginal
                    ? RefundOk(p, original, outcome.Refund!, valueText, info)
                    : Error(409, svc, 1, "Duplicate partnerReferenceNo");
            case RefundResult.DuplicateMismatch:
                return p.DuplicateRefundMismatch == DuplicateMismatchPolicy.Inconsistent
                    ? Error(404, svc, 18, "Inconsistent Request")
                    : Error(409, svc, 1, "Duplicate partnerReferenceNo");
            case RefundResult.OverRefund:
                return Error(404, svc, 13, "Invalid Amount");
            case RefundResult.FullRefundMismatch:
                return Error(404, svc, 13, "Invalid Amount. A full refund (cancelType 1) must be the whole, unrefunded amount");
            case RefundResult.OriginalCancelled:
                return Error(403, svc, 15, "Transaction Not Permitted. Transaction is cancelled");
            default:
                return Error(403, svc, 15, "Transaction Not Permitted. Transaction is not paid");
        }
    }

    private static Reply RefundOk(ProviderRuntime p, Original original, LedgerRefund refund, string valueText, JsonElement? requestInfo)
    {
        var code = ResponseCode.Of(200, ServiceCodes.QrRefund, 0).ToString();
        Dictionary<string, string> info;
        if (p.IsNicepay)
        {
            info = new Dictionary<string, string> { ["cancelTrxSn"] = refund.CancelTrxSn };
        }
        else
        {
            // The bank echoes the request's additionalInfo (deviceId, channel) and adds a traceId (as in the bank's sample).
            info = new Dictionary<string, string> { ["traceId"] = Guid.NewGuid().ToString("N") };
            if (requestInfo is { } ri)
            {
                foreach (var property in ri.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.String)
                    {
                        info[property.Name] = property.Value.GetString()!;
                    }
                }
            }
        }

        return Ok(
            code,
            new RefundResponseBody
            {
                ResponseCode = code,
                ResponseMessage = "Successful",
                OriginalReferenceNo = original.ReferenceNo,
                OriginalPartnerReferenceNo = original.PartnerReferenceNo,
                OriginalExternalId = p.IsBnc ? original.ExternalId ?? string.Empty : null,
                ReferenceNo = refund.ReferenceNo,
                PartnerRefundNo = refund.PartnerRefundNo,
                // The same amount in the form the caller used (the bank's sample answers "1000" to "1000").
                RefundAmount = new AmountBody { Value = valueText, Currency = refund.Currency },
                RefundTime = SnapTimestamp.Format(refund.RefundTime),
                AdditionalInfo = info,
            },
            SandboxJson.Context.RefundResponseBody);
    }

    private Reply Cancel(ProviderRuntime p, JsonElement root, string externalId)
    {
        const int svc = ServiceCodes.QrCancel;
        var f = new FieldReader();

        // iFortePay's cancel table (docs/protocol.md#ifortepay-cancel).
        var partnerReference = f.String(root, "originalPartnerReferenceNo", "originalPartnerReferenceNo", mandatory: true, 64);
        var reference = f.String(root, "originalReferenceNo", "originalReferenceNo", mandatory: true, 64);
        var reason = f.String(root, "reason", "reason", mandatory: true, 256);
        var info = f.Object(root, "additionalInfo", "additionalInfo", mandatory: true);
        if (info is { } i && f.String(i, "type", "additionalInfo.type", mandatory: true, 16) is { } type && type != "DYNAMIC")
        {
            f.Fail(1, "additionalInfo.type");
        }

        if (f.Failed)
        {
            return FieldError(svc, f);
        }

        var original = _rt.Ledger.Resolve(p.Name, reference, partnerReference, null);
        if (original is null)
        {
            return Error(404, svc, 1, "Transaction Not Found");
        }

        var outcome = _rt.Ledger.Cancel(original, externalId, reason);
        return outcome.Result switch
        {
            CancelResult.Cancelled => CancelOk(original, outcome.Cancel!),
            CancelResult.AlreadyCancelled => p.SecondCancel switch
            {
                SecondCancelPolicy.ReturnOriginal => CancelOk(original, outcome.Cancel!),
                SecondCancelPolicy.Conflict => CancelError(original, 409, 1, "Duplicate partnerReferenceNo"),
                _ => CancelError(original, 403, 15, "Transaction Not Permitted. Transaction is already cancelled"),
            },
            _ => CancelError(original, 403, 15, "Transaction Not Permitted. Transaction cannot be cancelled"),
        };
    }

    private static Reply CancelOk(Original original, LedgerCancel cancel)
    {
        var code = ResponseCode.Of(200, ServiceCodes.QrCancel, 0).ToString();
        return Ok(
            code,
            new CancelResponseBody
            {
                ResponseCode = code,
                ResponseMessage = "Request has been processed successfully",
                OriginalPartnerReferenceNo = original.PartnerReferenceNo,
                OriginalReferenceNo = original.ReferenceNo,
                // As in iFortePay's sample: Jakarta local time without an offset ("2020-10-20T17:56:57").
                CancelTime = SnapTimestamp.Format(cancel.CancelTime)[..19],
                AdditionalInfo = new Dictionary<string, string> { ["type"] = original.QrType },
            },
            SandboxJson.Context.CancelResponseBody);
    }

    private static Reply CancelError(Original original, int http, int caseCode, string message)
    {
        var code = ResponseCode.Of(http, ServiceCodes.QrCancel, caseCode).ToString();
        return new Reply(
            http,
            code,
            JsonSerializer.SerializeToUtf8Bytes(
                new CancelResponseBody
                {
                    ResponseCode = code,
                    ResponseMessage = message,
                    OriginalPartnerReferenceNo = original.PartnerReferenceNo,
                    OriginalReferenceNo = original.ReferenceNo,
                    AdditionalInfo = new Dictionary<string, string> { ["type"] = original.QrType },
                },
                SandboxJson.Context.CancelResponseBody));
    }

    private Reply Query(ProviderRuntime p, JsonElement root)
    {
        const int svc = ServiceCodes.QrQuery;
        var f = new FieldReader();
        string? reference, partnerReference, externalId = null;
        if (p.IsNicepay)
        {
            reference = f.String(root, "originalReferenceNo", "originalReferenceNo", mandatory: true, 40);
            partnerReference = f.String(root, "originalPartnerReferenceNo", "originalPartnerReferenceNo", mandatory: true, 40);
            f.String(root, "merchantId", "merchantId", mandatory: true, 40);
            f.String(root, "externalStoreId", "externalStoreId", mandatory: false, 40);
        }
        else
        {
            reference = f.String(root, "originalReferenceNo", "originalReferenceNo", mandatory: false, 64);
            partnerReference = f.String(root, "originalPartnerReferenceNo", "originalPartnerReferenceNo", mandatory: false, 64);
            externalId = f.String(root, "originalExternalId", "originalExternalId", mandatory: false, 36);
            f.String(root, "merchantId", "merchantId", mandatory: false, 64);
            if (!f.Failed && reference is null && partnerReference is null && externalId is null)
            {
                f.Fail(2, "originalReferenceNo");
            }
        }

        // The service code of the transaction queried: 47, QR MPM payment.
        if (f.String(root, "serviceCode", "serviceCode", mandatory: true, 2) is { } serviceCode && serviceCode != "47")
        {
            f.Fail(1, "serviceCode");
        }

        if (f.Failed)
        {
            return FieldError(svc, f);
        }

        var original = _rt.Ledger.Resolve(p.Name, reference, partnerReference, externalId);
        if (original is null)
        {
            return Error(404, svc, 1, "Transaction Not Found");
        }

        var code = ResponseCode.Of(200, svc, 0).ToString();
        var behaviour = _rt.Behaviours.Current(p.Name);
        QueryResponseBody body;
        lock (original.Gate)
        {
            var (status, desc) = original.StatusOf();
            var info = new Dictionary<string, string>
            {
                ["refundedAmount"] = FormatAmount(original.Refunded),
                ["remainingAmount"] = FormatAmount(original.Amount - original.Refunded),
            };
            if (original.Cancel is { } c)
            {
                info["cancelTime"] = SnapTimestamp.Format(c.CancelTime);
            }

            body = new QueryResponseBody
            {
                ResponseCode = code,
                ResponseMessage = "Successful",
                OriginalReferenceNo = original.ReferenceNo,
                OriginalPartnerReferenceNo = original.PartnerReferenceNo,
                OriginalExternalId = original.ExternalId,
                ServiceCode = "47",
                LatestTransactionStatus = status,
                TransactionStatusDesc = desc,
                PaidTime = original.Status == OriginalStatus.Paid ? SnapTimestamp.Format(original.PaidTime) : null,
                Amount = new AmountBody { Value = FormatAmount(original.Amount), Currency = original.Currency },
                AdditionalInfo = info,
                Lists = behaviour.ListRefundsInQuery
                    ? new Dictionary<string, JsonElement> { [behaviour.RefundListField] = RefundHistory(original) }
                    : null,
            };
        }

        return Ok(code, body, SandboxJson.Context.QueryResponseBody);
    }

    // NICEPAY's answer has no list of refunds; a provider that lists them does it as SNAP's refundHistory. The
    // ledger books only refunds that were made, so every item is "00". Call under original.Gate.
    private static JsonElement RefundHistory(Original original)
        => JsonSerializer.SerializeToElement(
            original.Refunds.Select(r => new RefundHistoryItemBody
            {
                RefundNo = r.ReferenceNo,
                PartnerReferenceNo = r.PartnerRefundNo,
                RefundAmount = new AmountBody { Value = FormatAmount(r.Amount), Currency = r.Currency },
                RefundStatus = "00",
                RefundDate = SnapTimestamp.Format(r.RefundTime),
                Reason = r.Reason,
            }).ToList(),
            SandboxJson.Context.ListRefundHistoryItemBody);

    private static string FormatAmount(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    private static string RelativePath(HttpContext ctx, ProviderRuntime p)
    {
        var path = ctx.Request.Path.Value ?? string.Empty;
        return p.PathPrefix.Length > 0 && path.StartsWith(p.PathPrefix, StringComparison.OrdinalIgnoreCase)
            ? path[p.PathPrefix.Length..]
            : path;
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        if (request.ContentLength is { } length)
        {
            if (length > MaxBodyBytes)
            {
                return null;
            }

            var buffer = new byte[length];
            await request.Body.ReadExactlyAsync(buffer, ctx.RequestAborted);
            return buffer;
        }

        using var ms = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ctx.RequestAborted)) > 0)
        {
            if (ms.Length + read > MaxBodyBytes)
            {
                return null;
            }

            ms.Write(chunk, 0, read);
        }

        return ms.ToArray();
    }

    private static bool TryParse(byte[] body, out JsonDocument document)
    {
        try
        {
            document = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            document = null!;
            return false;
        }
    }

    private async Task WriteAsync(HttpContext ctx, Reply reply)
    {
        var response = ctx.Response;
        response.StatusCode = reply.HttpStatus;
        response.ContentType = "application/json";
        response.ContentLength = reply.Body.Length;
        response.Headers["X-TIMESTAMP"] = SnapTimestamp.Now(_rt.Time);
        await response.Body.WriteAsync(reply.Body, ctx.RequestAborted);
    }

    private static int ServiceCode(SandboxOperation op) => op switch
    {
        SandboxOperation.Token => ServiceCodes.Token,
        SandboxOperation.Refund => ServiceCodes.QrRefund,
        SandboxOperation.Cancel => ServiceCodes.QrCancel,
        _ => ServiceCodes.QrQuery,
    };

    private static Reply FieldError(int svc, FieldReader f)
        => Error(400, svc, f.ErrorCase, (f.ErrorCase == 2 ? "Invalid Mandatory Field {" : "Invalid Field Format {") + f.ErrorField + "}");

    private static Reply Error(int http, int svc, int caseCode, string message)
    {
        var code = ResponseCode.Of(http, svc, caseCode).ToString();
        return new Reply(http, code, JsonSerializer.SerializeToUtf8Bytes(new SnapErrorBody { ResponseCode = code, ResponseMessage = message }, SandboxJson.Context.SnapErrorBody));
    }

    private static Reply Ok<T>(string code, T body, JsonTypeInfo<T> info)
        => new(200, code, JsonSerializer.SerializeToUtf8Bytes(body, info));

    private readonly record struct Reply(int HttpStatus, string Outcome, byte[] Body);
}
