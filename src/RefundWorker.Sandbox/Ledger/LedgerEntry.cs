namespace RefundWorker.Sandbox;

/// <summary>
/// A snapshot of one original transaction and everything actually effected on it: the ground truth tests and
/// benchmarks assert "no double refund" against.
/// </summary>
public sealed record LedgerEntry(
    string Provider,
    string OriginalReferenceNo,
    string OriginalPartnerReferenceNo,
    string? OriginalExternalId,
    string? MerchantId,
    decimal Amount,
    string Currency,
    string QrType,
    OriginalStatus Status,
    DateTimeOffset PaidTime,
    DateTimeOffset? CancellableUntil,
    string LatestTransactionStatus,
    string TransactionStatusDesc,
    decimal RefundedAmount,
    decimal RemainingAmount,
    IReadOnlyList<LedgerRefund> Refunds,
    LedgerCancel? Cancel);

/// <summary>A refund the sandbox booked.</summary>
public sealed record LedgerRefund(
    string PartnerRefundNo,
    string ReferenceNo,
    decimal Amount,
    string Currency,
    string? CancelType,
    string? Reason,
    string ExternalId,
    DateTimeOffset RefundTime,
    string CancelTrxSn);

/// <summary>A cancel the sandbox booked.</summary>
public sealed record LedgerCancel(string ExternalId, string? Reason, DateTimeOffset CancelTime);
