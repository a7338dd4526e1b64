namespace RefundWorker.Admin.Persistence;

/// <summary>A bulk change running in the background (<c>admin_jobs</c>), with its progress.</summary>
public sealed class AdminJob
{
    public Guid Id { get; set; }
    public string Kind { get; set; } = string.Empty;

    /// <summary><c>Running</c>, <c>Completed</c>, <c>Failed</c>.</summary>
    public string Status { get; set; } = string.Empty;
    public string Actor { get; set; } = string.Empty;
    public string Reason { get; set; } = string.Empty;

    /// <summary>JSON: the request as accepted (ids or filter, force).</summary>
    public string Request { get; set; } = "{}";
    public int Total { get; set; }
    public int Done { get; set; }
    public int Skipped { get; set; }
    public int Failed { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
}
