using RefundWorker.Consumers;
using RefundWorker.Inbound.Consumers;

namespace RefundWorker.Admin;

/// <summary>
/// <c>Admin:*</c>. The admin API (and the dead-letter drain) is off unless at least one operator is configured.
/// Keys are never configured, only their SHA-256: a leaked configuration does not leak a key.
/// </summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";

    /// <summary>Its own listener (e.g. <c>http://127.0.0.1:9090</c>); unset, the API is on the worker's Kestrel host.</summary>
    public string? Urls { get; set; }

    /// <summary><c>Admin:Operators:&lt;name&gt;:KeyHash</c> and <c>:Role</c>.</summary>
    public Dictionary<string, AdminOperatorOptions> Operators { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Replayed and discarded letters are deleted this long after their last change.</summary>
    public TimeSpan DeadLetterRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A letter replayed this many times needs <c>force</c> to be replayed again.</summary>
    public int MaxReplays { get; set; } = 3;

    /// <summary>How often the error queues are checked when they were empty.</summary>
    public TimeSpan DrainInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A body larger than this is kept in part and marked not replayable.</summary>
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>The error queues drained; by default those of every consumer of the worker.</summary>
    public string[]? ErrorQueues { get; set; }

    /// <summary>Letters per batch of a bulk replay (one transaction and one confirm wait per batch).</summary>
    public int ReplayBatchSize { get; set; } = 100;

    /// <summary>How often each replica re-reads the provider pauses from PostgreSQL.</summary>
    public TimeSpan PauseRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A link to one trace in Grafana, with <c>{traceId}</c> where the id goes (e.g.
    /// <c>https://grafana.example/explore?left=...{traceId}...</c>); unset, the console shows trace ids without a link.
    /// </summary>
    public string? GrafanaTraceUrl { get; set; }

    public bool Enabled => Operators.Count > 0;

    public IReadOnlyList<string> DrainedQueues => ErrorQueues is { Length: > 0 } q ? q :
    [
        RefundRequestedConsumer.QueueName + "_error",
        CancelRequestedConsumer.QueueName + "_error",
        CvsPaymentCodeIssuedConsumerDefinition.QueueName + "_error",
        CvsPaymentCodeClosedConsumerDefinition.QueueName + "_error",
    ];
}

/// <summary>One operator: the lowercase hex SHA-256 of their bearer key and what they may do.</summary>
public sealed class AdminOperatorOptions
{
    public string KeyHash { get; set; } = string.Empty;

    /// <summary><c>reader</c> (GETs only) or <c>operator</c> (changes too).</summary>
    public string Role { get; set; } = AdminRoles.Reader;
}

public static class AdminRoles
{
    public const string Reader = "reader";
    public const string Operator = "operator";
}
