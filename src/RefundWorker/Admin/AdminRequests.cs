using System.Text.Json;

namespace RefundWorker.Admin;

/// <summary><c>{reason}</c>: discard, reconcile, pause, resume.</summary>
public sealed record ReasonRequest(string? Reason);

/// <summary><c>POST /admin/dead-letters/{id}/replay</c>: an edited <c>body</c> is the message (the contract), not the envelope.</summary>
public sealed record ReplayRequest(string? Reason, JsonElement? Body, bool Force = false);

/// <summary>The filter of a bulk request, as in <c>GET /admin/dead-letters</c>.</summary>
public sealed record BulkFilter(string? Queue, string? MessageType, string? Fingerprint, string? Status, DateTimeOffset? Since, DateTimeOffset? Until)
{
    public DeadLetterFilter ToFilter() => new() { Queue = Queue, MessageType = MessageType, Fingerprint = Fingerprint, Status = Status, Since = Since, Until = Until };
}

/// <summary><c>POST /admin/dead-letters/replay</c> and <c>/discard</c>: ids or a filter (both: the ids that match it).</summary>
public sealed record BulkRequest(List<Guid>? Ids, BulkFilter? Filter, string? Reason, bool DryRun = false, bool Force = false);

/// <summary><c>POST /admin/operations/{id}/resolve</c>.</summary>
public sealed record ResolveRequest(string? Outcome, string? ReferenceNo, string? Evidence, string? Reason);
