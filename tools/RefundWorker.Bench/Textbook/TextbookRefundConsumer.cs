using MassTransit;
using RefundWorker.Contracts;
using RefundWorker.Snap;

namespace RefundWorker.Bench.Textbook;

/// <summary>
/// The consumer most teams write first, the baseline of the benchmark: per message, look the row up (create it,
/// SaveChanges), make the signed SNAP refund call, SaveChanges, Publish the outcome. One message at a time per
/// consumer instance, one transaction per SaveChanges, concurrency from the endpoint's ConcurrentMessageLimit. No
/// reconciliation, no outbox: it is the yardstick, not a second implementation.
/// </summary>
public sealed class TextbookRefundConsumer(TextbookDbContext db, SnapClient snap, SnapProviderRegistry providers, IExternalIdGenerator externalIds, TimeProvider time)
    : IConsumer<RefundRequested>
{
    public async Task Consume(ConsumeContext<RefundRequested> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var row = await db.Refunds.FindAsync([m.RequestId], ct);
        if (row is null)
        {
            row = new TextbookRefund
            {
                Id = m.RequestId, Provider = m.Provider, PartnerRefundNo = m.PartnerRefundNo, Amount = m.Amount,
                CreatedAt = time.GetUtcNow(), UpdatedAt = time.GetUtcNow(),
            };
            db.Refunds.Add(row);
            await db.SaveChangesAsync(ct);
        }

        var provider = providers.Get(m.Provider);
        var request = new NicepayRefundRequest
        {
            OriginalReferenceNo = m.OriginalReferenceNo ?? "",
            OriginalPartnerReferenceNo = m.OriginalPartnerReferenceNo ?? "",
            PartnerRefundNo = m.PartnerRefundNo,
            MerchantId = m.MerchantId,
            ExternalStoreId = m.ExternalStoreId,
            RefundAmount = SnapAmount.From(m.Amount, format: provider.AmountFormat),
            Reason = m.Reason,
            AdditionalInfo = m.AdditionalInfo is { } info ? new Dictionary<string, string>(info, StringComparer.Ordinal) : null,
        };
        var result = await snap.RefundAsync(provider, request, externalIds.Next(provider.PartnerId, provider.ExternalIdMaxLength), ct);

        row.Status = result.IsSuccess ? "Succeeded" : "Failed";
        row.ReferenceNo = result.Body?.ReferenceNo;
        row.ResponseCode = result.Code?.ToString();
        row.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);

        if (result.IsSuccess)
        {
            await context.Publish(new RefundSucceeded
            {
                RequestId = m.RequestId, Provider = m.Provider, MerchantId = m.MerchantId, PartnerRefundNo = m.PartnerRefundNo,
                Attempts = 1, ReferenceNo = row.ReferenceNo, Amount = m.Amount, Currency = "IDR", ResponseCode = row.ResponseCode,
            }, ct);
        }
        else
        {
            await context.Publish(new RefundFailed
            {
                RequestId = m.RequestId, Provider = m.Provider, MerchantId = m.MerchantId, PartnerRefundNo = m.PartnerRefundNo,
                Attempts = 1, ResponseCode = row.ResponseCode, ErrorCode = result.Outcome.ToString(), Message = result.Error ?? "",
            }, ct);
        }
    }
}
