namespace RefundWorker.Admin.Persistence;

/// <summary>
/// One row of the append-only <c>audit_log</c>: a change made through the admin API, or an attempt that was refused.
/// A trigger rejects UPDATE, DELETE and TRUNCATE, so a row once written stays as written.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>The operator's configured name; <c>(anonymous)</c> for a request without a valid key.</summary>
    public string Actor { get; set; } = string.Empty;
    public string? Role { get; set; }

    /// <summary>e.g. <c>dead-letter.replay</c>, <c>operation.resolve</c>, <c>provider.pause</c>.</summary>
    public string Action { get; set; } = string.Empty;

    /// <summary>e.g. <c>dead-letter:&lt;id&gt;</c>, <c>operation:&lt;id&gt;</c>, <c>provider:nicepay</c>.</summary>
    public string Target { get; set; } = string.Empty;
    public string? Reason { get; set; }

    /// <summary><c>ok</c>, or <c>refused</c> with the HTTP status it was refused with.</summary>
    public string Outcome { get; set; } = string.Empty;
    public int StatusCode { get; set; }

    /// <summary>JSON: what changed (before/after), or why it was refused.</summary>
    public string? Detail { get; set; }
    public string? RequestId { get; set; }
}
