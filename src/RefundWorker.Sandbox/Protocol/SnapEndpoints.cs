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
/// The hot path takes no global lock and logs nothing. This file maps the routes and runs that pipeline; the token
/// endpoint, the checks every transaction shares, refund, cancel, query and the fault answers are each in their own
/// SnapEndpoints.*.cs file.
/// </summary>
internal sealed partial class SnapEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;

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
