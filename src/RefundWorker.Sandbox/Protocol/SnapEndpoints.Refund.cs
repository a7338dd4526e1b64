using System.Text.Json;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox;

/// <summary>The refund endpoint, with each provider's request fields and answer.</summary>
internal sealed partial class SnapEndpoints
{
    private Reply Refund(ProviderRuntime p, JsonElement root, string externalId)
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
}
