namespace RefundWorker.Persistence;

/// <summary>
/// One HTTP call to a provider (<c>attempts</c>): a send or a status query, with its own X-EXTERNAL-ID.
/// Never holds tokens, signatures or secrets.
/// </summary>
public sealed class Attempt
{
    public long Id { get; set; }
    public Guid OperationId { get; set; }

    /// <summary>1, 2, ... in the order the operation made its calls (sends and queries together).</summary>
    public int Number { get; set; }

    /// <summary><c>send</c> or <c>query</c>.</summary>
    public string Action { get; set; } = string.Empty;
    public string Provider { get; set; } = string.Empty;
    public string ExternalId { get; set; } = string.Empty;
    public DateTimeOffset RequestedAt { get; set; }
    public int? HttpStatus { get; set; }
    public string? ResponseCode { get; set; }

    /// <summary>The SNAP classification (Success, Pending, OutcomeUnknown, Retryable, RefreshToken, Permanent).</summary>
    public string Classification { get; set; } = string.Empty;

    /// <summary>Timeout, ConnectFailed, ... when there was no HTTP answer.</summary>
    public string? TransportFailure { get; set; }
    public double LatencyMs { get; set; }
    public string? TraceId { get; set; }

    /// <summary>A short non-secret description (e.g. the provider's responseMessage).</summary>
    public string? Detail { get; set; }
}
