using System.Text.Json;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using Columns = RefundWorker.Persistence.ColumnSizes.Operations;

namespace RefundWorker.Operations;

/// <summary>Builds the outcome event of an operation from its final row.</summary>
public static class OutcomeEvents
{
    public static OutboxEnvelope For(Operation op, DateTimeOffset now)
    {
        op = Storable(op);
        return op.Kind == OperationKind.Refund ? Refund(op, now) : Cancel(op, now);
    }

    /// <summary>
    /// The event is stored as jsonb in the outbox, which refuses <c>\u0000</c> and unpaired surrogates, and what a
    /// provider sent (its responseMessage inside the outcome message, its referenceNo) may carry them. The event
    /// carries the text cleaned and bounded as the operation row stores it (OperationStore.WriteTransitionsAsync).
    /// </summary>
    private static Operation Storable(Operation op)
    {
        var responseCode = StorageText.CleanOrNull(op.ResponseCode, Columns.ResponseCode);
        var errorCode = StorageText.CleanOrNull(op.ErrorCode, Columns.ErrorCode);
        var message = StorageText.CleanOrNull(op.OutcomeMessage, Columns.FreeText);
        var referenceNo = StorageText.CleanOrNull(op.ReferenceNo, Columns.FreeText);
        var provider = StorageText.Clean(op.Provider);
        var merchantId = StorageText.CleanOrNull(op.MerchantId);
        var partnerRefundNo = StorageText.CleanOrNull(op.PartnerRefundNo);
        var originalReferenceNo = StorageText.CleanOrNull(op.OriginalReferenceNo);
        var originalPartnerReferenceNo = StorageText.CleanOrNull(op.OriginalPartnerReferenceNo);
        var currency = StorageText.CleanOrNull(op.Currency);
        if (ReferenceEquals(responseCode, op.ResponseCode) && ReferenceEquals(errorCode, op.ErrorCode)
            && ReferenceEquals(message, op.OutcomeMessage) && ReferenceEquals(referenceNo, op.ReferenceNo)
            && ReferenceEquals(provider, op.Provider) && ReferenceEquals(merchantId, op.MerchantId)
            && ReferenceEquals(partnerRefundNo, op.PartnerRefundNo) && ReferenceEquals(originalReferenceNo, op.OriginalReferenceNo)
            && ReferenceEquals(originalPartnerReferenceNo, op.OriginalPartnerReferenceNo) && ReferenceEquals(currency, op.Currency))
        {
            return op;
        }

        var copy = op.Copy();
        copy.ResponseCode = responseCode;
        copy.ErrorCode = errorCode;
        copy.OutcomeMessage = message;
        copy.ReferenceNo = referenceNo;
        copy.Provider = provider;
        copy.MerchantId = merchantId;
        copy.PartnerRefundNo = partnerRefundNo;
        copy.OriginalReferenceNo = originalReferenceNo;
        copy.OriginalPartnerReferenceNo = originalPartnerReferenceNo;
        copy.Currency = currency;
        return copy;
    }

    private static OutboxEnvelope Refund(Operation op, DateTimeOffset now) => op.State switch
    {
        OperationState.Succeeded => OutboxEnvelope.For(new RefundSucceeded
        {
            RequestId = op.RequestId, Provider = op.Provider, MerchantId = op.MerchantId ?? string.Empty,
            PartnerRefundNo = op.PartnerRefundNo ?? string.Empty, Attempts = op.Attempts,
            ReferenceNo = op.ReferenceNo, Amount = op.Amount ?? 0m, Currency = op.Currency ?? "IDR",
            RefundTime = op.OutcomeTime, ResponseCode = op.ResponseCode,
        }, now),
        OperationState.Failed => OutboxEnvelope.For(new RefundFailed
        {
            RequestId = op.RequestId, Provider = op.Provider, MerchantId = op.MerchantId ?? string.Empty,
            PartnerRefundNo = op.PartnerRefundNo ?? string.Empty, Attempts = op.Attempts,
            ResponseCode = op.ResponseCode, ErrorCode = op.ErrorCode ?? "failed", Message = op.OutcomeMessage ?? "The provider refused the refund.",
        }, now),
        OperationState.Rejected => OutboxEnvelope.For(new RefundRejected
        {
            RequestId = op.RequestId, Provider = op.Provider, MerchantId = op.MerchantId ?? string.Empty,
            PartnerRefundNo = op.PartnerRefundNo ?? string.Empty, Attempts = op.Attempts,
            Errors = Errors(op),
        }, now),
        OperationState.NeedsReview => OutboxEnvelope.For(new RefundNeedsReview
        {
            RequestId = op.RequestId, Provider = op.Provider, MerchantId = op.MerchantId ?? string.Empty,
            PartnerRefundNo = op.PartnerRefundNo ?? string.Empty, Attempts = op.Attempts,
            ResponseCode = op.ResponseCode, Message = op.OutcomeMessage ?? "The outcome is still unknown after reconciliation.",
        }, now),
        _ => throw new InvalidOperationException($"{op.State} is not a final state."),
    };

    private static OutboxEnvelope Cancel(Operation op, DateTimeOffset now) => op.State switch
    {
        OperationState.Succeeded => OutboxEnvelope.For(new CancelSucceeded
        {
            RequestId = op.RequestId, Provider = op.Provider, OriginalPartnerReferenceNo = op.OriginalPartnerReferenceNo ?? string.Empty,
            Attempts = op.Attempts, OriginalReferenceNo = op.OriginalReferenceNo, CancelTime = op.OutcomeTime, ResponseCode = op.ResponseCode,
        }, now),
        OperationState.Failed => OutboxEnvelope.For(new CancelFailed
        {
            RequestId = op.RequestId, Provider = op.Provider, OriginalPartnerReferenceNo = op.OriginalPartnerReferenceNo ?? string.Empty,
            Attempts = op.Attempts, ResponseCode = op.ResponseCode, ErrorCode = op.ErrorCode ?? "failed",
            Message = op.OutcomeMessage ?? "The provider refused the cancel.",
        }, now),
        OperationState.Rejected => OutboxEnvelope.For(new CancelRejected
        {
            RequestId = op.RequestId, Provider = op.Provider, OriginalPartnerReferenceNo = op.OriginalPartnerReferenceNo ?? string.Empty,
            Attempts = op.Attempts, Errors = Errors(op),
        }, now),
        OperationState.NeedsReview => OutboxEnvelope.For(new CancelNeedsReview
        {
            RequestId = op.RequestId, Provider = op.Provider, OriginalPartnerReferenceNo = op.OriginalPartnerReferenceNo ?? string.Empty,
            Attempts = op.Attempts, ResponseCode = op.ResponseCode,
            Message = op.OutcomeMessage ?? "The outcome is still unknown after reconciliation.",
        }, now),
        _ => throw new InvalidOperationException($"{op.State} is not a final state."),
    };

    private static IReadOnlyList<RejectionError> Errors(Operation op)
        => op.RejectionErrors is null ? [] : JsonSerializer.Deserialize<List<RejectionError>>(op.RejectionErrors, OperationFactory.Json) ?? [];
}
