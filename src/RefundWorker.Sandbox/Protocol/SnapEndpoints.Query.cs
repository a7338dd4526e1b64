using System.Globalization;
using System.Text.Json;
using RefundWorker.Snap;

namespace RefundWorker.Sandbox;

/// <summary>The status query endpoint, with the optional refund history.</summary>
internal sealed partial class SnapEndpoints
{
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
}
