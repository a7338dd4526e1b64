namespace RefundWorker.Admin.Persistence;

/// <summary>
/// Whether calls to a provider are paused (<c>provider_pauses</c>). In PostgreSQL, not in memory, so a pause holds for
/// every replica and across restarts.
/// </summary>
public sealed class ProviderPause
{
    public string Provider { get; set; } = string.Empty;
    public bool Paused { get; set; }
    public string Reason { get; set; } = string.Empty;
    public string ChangedBy { get; set; } = string.Empty;
    public DateTimeOffset ChangedAt { get; set; }
}
