using System.Text.Json;
using RefundWorker.Contracts;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>An event ready for the outbox: <see cref="Id"/> is its MessageId for good.</summary>
public sealed record OutboxEnvelope(Guid Id, string Type, string Payload)
{
    public static OutboxEnvelope For<T>(T message, DateTimeOffset now) where T : class
        => new(Guid.CreateVersion7(now), typeof(T).FullName!, JsonSerializer.Serialize(message, OperationFactory.Json));
}

/// <summary>Builds the outcome event of an operation from its final row.</summary>
public static class OutcomeEvents
{
    public static OutboxEnvelope For(Operation op, DateTimeOffset now) => op.Kind == OperationKind.Refund ? Refund(op, now) : Cancel(op, now);

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

/// <summary>Stable machine codes for a provider's final refusal (SPEC.md §4), carried in Failed events.</summary>
public static class ErrorCodes
{
    public const string RetriesExhausted = "retries_exhausted";

    public static string For(Snap.ResponseCode? code)
    {
        if (code is not { } c)
        {
            return "provider_error";
        }

        return (c.HttpStatus, c.CaseCode) switch
        {
            (400, 0) => "bad_request",
            (400, 1) => "invalid_field_format",
            (400, 2) => "invalid_mandatory_field",
            (401, 0) => "unauthorized",
            (403, 2) => "exceeds_limit",
            (403, 5) => "do_not_honor",
            (403, 14) => "insufficient_funds",
            (403, 15) => "transaction_not_permitted",
            (403, _) => "forbidden",
            (404, 1) => "transaction_not_found",
            (404, 13) => "invalid_amount",
            (404, _) => "not_found",
            (405, _) => "operation_not_allowed",
            _ => $"provider_refused_{c.HttpStatus}",
        };
    }
}
