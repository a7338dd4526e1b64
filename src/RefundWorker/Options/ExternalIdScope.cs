namespace RefundWorker.Options;

/// <summary>
/// How long a request's <c>ExternalId</c> (the X-EXTERNAL-ID of its first attempt) stays taken (<c>Worker:ExternalIdScope</c>).
/// </summary>
public enum ExternalIdScope
{
    /// <summary>
    /// What SNAP itself enforces: unique per partner (provider) per Jakarta calendar day. An order system whose ids
    /// restart every day may reuse yesterday's ids.
    /// </summary>
    Day,

    /// <summary>Stricter: unique per provider for good, whatever the day.</summary>
    Forever,
}
