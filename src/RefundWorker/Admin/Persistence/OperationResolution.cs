namespace RefundWorker.Admin.Persistence;

/// <summary>
/// A NeedsReview operation settled by a person (<c>operation_resolutions</c>): who, on what evidence and why. One per
/// operation (the primary key), so a second resolve cannot be recorded even by a racing request.
/// </summary>
public sealed class OperationResolution
{
    public Guid OperationId { get; set; }

    /// <summary><c>succeeded</c> or <c>failed</c>.</summary>
    public string Outcome { get; set; } = string.Empty;
    public string? ReferenceNo { get; set; }
    public string Evidence { get; set; } = string.Empty;
    public string Reason { get; set; } = string.Empty;
    public string ResolvedBy { get; set; } = string.Empty;
    public DateTimeOffset ResolvedAt { get; set; }

    /// <summary>The MessageId of the outcome event written with it.</summary>
    public Guid EventId { get; set; }
    public string? RequestId { get; set; }
}
