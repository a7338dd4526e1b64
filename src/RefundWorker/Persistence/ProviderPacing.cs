namespace RefundWorker.Persistence;

/// <summary>
/// A rate-limited provider's next free send slot, shared by every replica (<c>provider_pacing</c>): each call books
/// the slot and moves it on by 1 / <c>RateLimitPerSecond</c> in one statement, so the replicas together keep the
/// provider's published limit (Operations/FleetPacing.cs). Measured on PostgreSQL's clock only.
/// </summary>
public sealed class ProviderPacing
{
    /// <summary>The provider's configured name (<c>Snap:Providers:&lt;name&gt;</c>).</summary>
    public string Provider { get; set; } = "";

    /// <summary>The earliest moment the next call to the provider may go, on any replica.</summary>
    public DateTimeOffset NextSend { get; set; }
}
