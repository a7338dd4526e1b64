using System.Text.Json;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox;

/// <summary>The cancel endpoint (iFortePay's QR cancel).</summary>
internal sealed partial class SnapEndpoints
{
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
}
