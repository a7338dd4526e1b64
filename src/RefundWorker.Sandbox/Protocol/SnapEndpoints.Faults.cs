using System.Text;
using Microsoft.AspNetCore.Http;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox;

/// <summary>Injected faults: the answers a fault replaces the real one with, and the hang.</summary>
internal sealed partial class SnapEndpoints
{
    private static readonly byte[] ServiceUnavailableText = Encoding.ASCII.GetBytes("503 Service Unavailable");

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
}
