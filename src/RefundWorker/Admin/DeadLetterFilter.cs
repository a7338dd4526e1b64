using System.Text;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Admin.Persistence;

namespace RefundWorker.Admin;

/// <summary>Which letters: by queue (error or original), message type, fingerprint, status and failure time.</summary>
public sealed record DeadLetterFilter
{
    public string? Queue { get; init; }
    public string? MessageType { get; init; }
    public string? Fingerprint { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }

    public bool IsEmpty => Queue is null && MessageType is null && Fingerprint is null && Status is null && Since is null && Until is null;

    public AdminOutcome? Validate()
        => Status is not null && !DeadLetterStatus.All.Contains(Status) ? AdminOutcome.Invalid("status", "status must be New, Replayed or Discarded.") : null;

    /// <summary>Appends <c>AND …</c> conditions on the columns of <c>dead_letters</c>, with their parameters.</summary>
    public void AppendWhere(StringBuilder sql, NpgsqlParameterCollection p)
    {
        if (Queue is not null)
        {
            p.Add(new NpgsqlParameter { Value = Queue, NpgsqlDbType = NpgsqlDbType.Text });
            sql.Append($" AND (source_queue = ${p.Count} OR original_queue = ${p.Count})");
        }

        if (MessageType is not null)
        {
            // "RefundRequested" is enough; the full urn works too.
            p.Add(new NpgsqlParameter { Value = MessageType, NpgsqlDbType = NpgsqlDbType.Text });
            sql.Append($" AND (message_type = ${p.Count} OR message_type LIKE '%:' || ${p.Count})");
        }

        if (Fingerprint is not null)
        {
            p.Add(new NpgsqlParameter { Value = Fingerprint, NpgsqlDbType = NpgsqlDbType.Text });
            sql.Append($" AND fingerprint = ${p.Count}");
        }

        if (Status is not null)
        {
            p.Add(new NpgsqlParameter { Value = Status, NpgsqlDbType = NpgsqlDbType.Text });
            sql.Append($" AND status = ${p.Count}");
        }

        if (Since is not null)
        {
            p.Add(new NpgsqlParameter { Value = Since.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            sql.Append($" AND last_failed_at >= ${p.Count}");
        }

        if (Until is not null)
        {
            p.Add(new NpgsqlParameter { Value = Until.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            sql.Append($" AND last_failed_at < ${p.Count}");
        }
    }
}
