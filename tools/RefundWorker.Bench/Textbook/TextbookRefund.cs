namespace RefundWorker.Bench.Textbook;

/// <summary>The textbook consumer's one table: a row per refund request.</summary>
public sealed class TextbookRefund
{
    public Guid Id { get; set; }
    public string Provider { get; set; } = "";
    public string PartnerRefundNo { get; set; } = "";
    public decimal Amount { get; set; }
    public string Status { get; set; } = "Pending";
    public string? ReferenceNo { get; set; }
    public string? ResponseCode { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
