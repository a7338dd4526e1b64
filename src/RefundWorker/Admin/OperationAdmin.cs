using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using RefundWorker.Operations;
using RefundWorker.Outbox;
using RefundWorker.Persistence;
using RefundWorker.Snap;

namespace RefundWorker.Admin;

/// <summary>Filters of <c>GET /admin/operations</c>.</summary>
public sealed record OperationFilter(string? State, string? Kind, string? Provider, string? Key, TimeSpan? OlderThan);

/// <summary>
/// Operations for on-call: inspect one with its whole trail, make a Reconciling or NeedsReview one query its provider
/// now, settle a NeedsReview one by hand, and pause or resume a provider.
/// </summary>
public sealed class OperationAdmin(
    NpgsqlDataSource dataSource, AuditLog audit, OutboxSignal outbox, OperationScheduler scheduler, ProviderPauses pauses, SnapProviderRegistry providers,
    TimeProvider time)
{
    private const string Columns =
        "id, kind, request_id, provider, merchant_id, partner_refund_no, original_partner_reference_no, original_reference_no, external_id, amount, currency, " +
        "state, attempts, queries, next_attempt_at, lease_until, created_at, updated_at, completed_at, response_code, error_code, outcome_message, reference_no, outcome_time";

    public static readonly string[] States = Enum.GetNames<OperationState>();

    public async Task<object> ListAsync(OperationFilter f, Guid? cursor, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand();
        var p = cmd.Parameters;
        var sql = new StringBuilder($"SELECT {Columns} FROM operations WHERE true");
        if (f.State is not null)
        {
            p.Add(new NpgsqlParameter { Value = f.State, NpgsqlDbType = NpgsqlDbType.Text });
            sql.Append($" AND state = ${p.Count}");
        }

        if (f.Kind is not null)
        {
            p.Add(new NpgsqlParameter { Value = f.Kind, NpgsqlDbType = NpgsqlDbType.Text });
            sql.Append($" AND kind = ${p.Count}");
        }

        if (f.Provider is not null)
        {
            p.Add(new NpgsqlParameter { Value = f.Provider, NpgsqlDbType = NpgsqlDbType.Text });
            sql.Append($" AND provider = ${p.Count}");
        }

        if (f.Key is not null)
        {
            p.Add(new NpgsqlParameter { Value = f.Key, NpgsqlDbType = NpgsqlDbType.Text });
            sql.Append($" AND (partner_refund_no = ${p.Count} OR original_partner_reference_no = ${p.Count} OR external_id = ${p.Count} OR request_id::text = ${p.Count})");
        }

        if (f.OlderThan is { } age)
        {
            p.Add(new NpgsqlParameter { Value = time.GetUtcNow() - age, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            sql.Append($" AND created_at < ${p.Count}");
        }

        if (cursor is { } c)
        {
            p.Add(new NpgsqlParameter { Value = c, NpgsqlDbType = NpgsqlDbType.Uuid });
            sql.Append($" AND id < ${p.Count}");
        }

        p.Add(new NpgsqlParameter { Value = limit + 1, NpgsqlDbType = NpgsqlDbType.Integer });
        sql.Append($" ORDER BY id DESC LIMIT ${p.Count}");
        cmd.CommandText = sql.ToString();
        var items = new List<Dictionary<string, object?>>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            items.Add(Row(r));
        }

        return new { items = items.Take(limit), nextCursor = items.Count > limit ? items[limit - 1]["id"] : null };
    }

    /// <summary>The operation, every attempt, its outcome events (delivered or not), its manual resolution and its audit rows.</summary>
    public async Task<object?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        Dictionary<string, object?> op;
        await using (var cmd = new NpgsqlCommand($"SELECT {Columns} FROM operations WHERE id = $1", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct))
            {
                return null;
            }

            op = Row(r);
        }

        op["attemptLog"] = await ReadAsync(conn, id,
            "SELECT number, action, requested_at, external_id, http_status, response_code, classification, transport_failure, latency_ms, trace_id, detail FROM attempts WHERE operation_id = $1 ORDER BY number, id",
            r => new
            {
                number = r.GetInt32(0), action = r.GetString(1), at = r.GetFieldValue<DateTimeOffset>(2), externalId = r.GetString(3),
                httpStatus = r.IsDBNull(4) ? (int?)null : r.GetInt32(4), responseCode = S(r, 5), classification = r.GetString(6),
                transportFailure = S(r, 7), latencyMs = r.GetDouble(8), traceId = S(r, 9), detail = S(r, 10),
            }, ct);
        op["events"] = await ReadAsync(conn, id,
            "SELECT id, type, created_at, sent_at FROM outbox WHERE operation_id = $1 ORDER BY created_at, id",
            r => new
            {
                messageId = r.GetGuid(0), type = r.GetString(1), createdAt = r.GetFieldValue<DateTimeOffset>(2),
                sentAt = r.IsDBNull(3) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(3), delivered = !r.IsDBNull(3),
            }, ct);
        op["resolution"] = (await ReadAsync(conn, id,
            "SELECT outcome, reference_no, evidence, reason, resolved_by, resolved_at, event_id FROM operation_resolutions WHERE operation_id = $1",
            r => new
            {
                outcome = r.GetString(0), referenceNo = S(r, 1), evidence = r.GetString(2), reason = r.GetString(3), resolvedBy = r.GetString(4),
                resolvedAt = r.GetFieldValue<DateTimeOffset>(5), eventId = r.GetGuid(6),
            }, ct)).FirstOrDefault();
        op["audit"] = await ReadAsync(conn, $"operation:{id}",
            "SELECT id, at, actor, role, action, reason, outcome, status_code, detail::text, request_id FROM audit_log WHERE target = $1 ORDER BY id",
            AuditRow, ct);
        return op;
    }

    /// <summary>A refund by (provider, partnerRefundNo) or a cancel by (provider, originalPartnerReferenceNo); the live one first.</summary>
    public async Task<Guid?> FindByKeyAsync(string provider, string key, string? merchantId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            """
            SELECT id FROM operations
            WHERE provider = $1 AND ((kind = 'refund' AND partner_refund_no = $2 AND ($3::text IS NULL OR merchant_id = $3))
                                  OR (kind = 'cancel' AND original_partner_reference_no = $2))
            ORDER BY (state = 'Rejected'), id DESC LIMIT 1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = provider, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)merchantId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await cmd.ExecuteScalarAsync(ct) is Guid g ? g : null;
    }

    /// <summary>
    /// Makes the operation due now in Reconciling and wakes the scheduler: the normal state machine then queries the
    /// provider (recorded as an attempt) and decides. Nothing else is cleared, so the history and counters stay true.
    /// An operation under a live lease is being worked on right now and is refused.
    /// </summary>
    public async Task<AdminOutcome> ReconcileAsync(Guid id, AdminCaller caller, string reason, string? requestId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (state, leased) = await LockAsync(conn, tx, id, ct);
        if (state is null)
        {
            return AdminOutcome.NotFound($"operation {id}");
        }

        if (state is not (nameof(OperationState.Reconciling) or nameof(OperationState.NeedsReview)))
        {
            return AdminOutcome.Conflict("state", $"Only a Reconciling or NeedsReview operation can be reconciled now; this one is {state}.");
        }

        if (leased)
        {
            return AdminOutcome.Conflict("leased", "A replica is working on this operation right now; try again in a moment.");
        }

        await using (var cmd = new NpgsqlCommand(
            "UPDATE operations SET state = 'Reconciling', next_attempt_at = clock_timestamp(), updated_at = $2 WHERE id = $1", conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await audit.AppendAsync(conn, tx, [new AuditRecord(caller, "operation.reconcile", $"operation:{id}", reason, AuditLog.Ok, 202,
            new { from = state, to = nameof(OperationState.Reconciling), due = "now" }, requestId)], ct);
        await tx.CommitAsync(ct);
        scheduler.Wake();
        return AdminOutcome.Accepted(new { id, state = nameof(OperationState.Reconciling), previousState = state });
    }

    /// <summary>
    /// Settles a NeedsReview operation: the final state, the resolution (who, evidence, why) and the outcome event into the
    /// outbox, in one transaction. A second resolve finds the state changed (and the resolution's primary key taken).
    /// </summary>
    public async Task<AdminOutcome> ResolveAsync(Guid id, string outcome, string? referenceNo, string evidence, AdminCaller caller, string reason, string? requestId, CancellationToken ct)
    {
        var final = outcome switch
        {
            "succeeded" => OperationState.Succeeded,
            "failed" => OperationState.Failed,
            _ => (OperationState?)null,
        };
        if (final is null)
        {
            return AdminOutcome.Invalid("outcome", "outcome must be 'succeeded' or 'failed'.");
        }

        if (string.IsNullOrWhiteSpace(evidence))
        {
            return AdminOutcome.Invalid("evidence", "evidence is required: what shows the provider's outcome (a statement line, a provider ticket, a query answer).");
        }

        var now = time.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var op = await LoadAsync(conn, tx, id, ct);
        if (op is null)
        {
            return AdminOutcome.NotFound($"operation {id}");
        }

        if (op.State != OperationState.NeedsReview)
        {
            return AdminOutcome.Conflict("needs-review", $"Only a NeedsReview operation can be resolved; this one is {op.State}.");
        }

        var done = op.Copy();
        done.State = final.Value;
        done.ReferenceNo = referenceNo ?? op.ReferenceNo;
        done.ErrorCode = final == OperationState.Failed ? "resolved_failed" : null;
        done.OutcomeMessage = Cut($"Resolved by {caller.Name}: {evidence}", 1000);
        var evt = OutcomeEvents.For(done, now);

        await using (var batch = new NpgsqlBatch(conn, tx))
        {
            var update = new NpgsqlBatchCommand(
                """
                UPDATE operations SET state = $2, reference_no = $3, error_code = $4, outcome_message = $5, completed_at = $6, updated_at = $6,
                    next_attempt_at = NULL
                WHERE id = $1 AND state = 'NeedsReview'
                """);
            update.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
            update.Parameters.Add(T(done.State.ToString()));
            update.Parameters.Add(T(done.ReferenceNo));
            update.Parameters.Add(T(done.ErrorCode));
            update.Parameters.Add(T(done.OutcomeMessage));
            update.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            var insert = new NpgsqlBatchCommand(
                """
                INSERT INTO operation_resolutions (operation_id, outcome, reference_no, evidence, reason, resolved_by, resolved_at, event_id, request_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """);
            insert.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.Add(T(outcome));
            insert.Parameters.Add(T(referenceNo));
            insert.Parameters.Add(T(evidence));
            insert.Parameters.Add(T(reason));
            insert.Parameters.Add(T(caller.Name));
            insert.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter { Value = evt.Id, NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.Add(T(requestId));
            batch.BatchCommands.Add(update);
            batch.BatchCommands.Add(insert);
            await batch.ExecuteNonQueryAsync(ct);
        }

        await Outbox.OutboxInserts.InsertAsync(conn, tx, [(evt, id)], now, ct);
        await audit.AppendAsync(conn, tx, [new AuditRecord(caller, "operation.resolve", $"operation:{id}", reason, AuditLog.Ok, 200,
            new { from = op.State.ToString(), to = done.State.ToString(), outcome, referenceNo, evidence, eventId = evt.Id, eventType = evt.Type }, requestId)], ct);
        await tx.CommitAsync(ct);
        outbox.Notify();
        return AdminOutcome.Ok(new { id, state = done.State.ToString(), eventId = evt.Id, eventType = evt.Type, resolvedBy = caller.Name });
    }

    public async Task<AdminOutcome> SetPauseAsync(string provider, bool pause, AdminCaller caller, string reason, string? requestId, CancellationToken ct)
    {
        if (!providers.TryGet(provider, out _))
        {
            return AdminOutcome.NotFound($"provider '{provider}' configured (Snap:Providers)");
        }

        var now = time.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        bool paused;
        await using (var cmd = new NpgsqlCommand("SELECT paused FROM provider_pauses WHERE provider = $1 FOR UPDATE", conn, tx))
        {
            cmd.Parameters.Add(T(provider));
            paused = await cmd.ExecuteScalarAsync(ct) is true;
        }

        if (paused == pause)
        {
            return AdminOutcome.Conflict(pause ? "already-paused" : "not-paused", pause ? $"{provider} is already paused." : $"{provider} is not paused.");
        }

        await using (var cmd = new NpgsqlCommand(
            """
            INSERT INTO provider_pauses (provider, paused, reason, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (provider) DO UPDATE SET paused = EXCLUDED.paused, reason = EXCLUDED.reason, changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at
            """, conn, tx))
        {
            cmd.Parameters.Add(T(provider));
            cmd.Parameters.Add(new NpgsqlParameter { Value = pause, NpgsqlDbType = NpgsqlDbType.Boolean });
            cmd.Parameters.Add(T(reason));
            cmd.Parameters.Add(T(caller.Name));
            cmd.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await audit.AppendAsync(conn, tx, [new AuditRecord(caller, pause ? "provider.pause" : "provider.resume", $"provider:{provider}", reason, AuditLog.Ok, 200,
            new { paused = pause }, requestId)], ct);
        await tx.CommitAsync(ct);
        pauses.Set(provider, pause);
        if (!pause)
        {
            scheduler.Wake();
        }

        return AdminOutcome.Ok(new { provider, paused = pause, changedBy = caller.Name, changedAt = now });
    }

    public async Task<object> PausesAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT provider, paused, reason, changed_by, changed_at FROM provider_pauses ORDER BY provider");
        var list = new List<object>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new { provider = r.GetString(0), paused = r.GetBoolean(1), reason = r.GetString(2), changedBy = r.GetString(3), changedAt = r.GetFieldValue<DateTimeOffset>(4) });
        }

        return new { providers = list };
    }

    internal static object AuditRow(NpgsqlDataReader r) => new
    {
        id = r.GetInt64(0),
        at = r.GetFieldValue<DateTimeOffset>(1),
        actor = r.GetString(2),
        role = S(r, 3),
        action = r.GetString(4),
        reason = S(r, 5),
        outcome = r.GetString(6),
        statusCode = r.GetInt32(7),
        detail = r.IsDBNull(8) ? (JsonElement?)null : JsonDocument.Parse(r.GetString(8)).RootElement,
        requestId = S(r, 9),
    };

    private static async Task<(string? State, bool Leased)> LockAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT state, lease_until IS NOT NULL AND lease_until > clock_timestamp(), trace_parent FROM operations WHERE id = $1 FOR UPDATE", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var found = await r.ReadAsync(ct);
        Telemetry.RequestTrace.LinkCurrent(found && !r.IsDBNull(2) ? r.GetString(2) : null);
        return found ? (r.GetString(0), r.GetBoolean(1)) : (null, false);
    }

    /// <summary>The fields an outcome event is built from.</summary>
    private static async Task<Operation?> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            SELECT kind, request_id, provider, merchant_id, partner_refund_no, original_partner_reference_no, original_reference_no, amount, currency,
                   state, attempts, queries, response_code, reference_no, outcome_time, rejection_errors::text, trace_parent
            FROM operations WHERE id = $1 FOR UPDATE
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }

        return new Operation
        {
            Id = id,
            Kind = r.GetString(0) == "refund" ? OperationKind.Refund : OperationKind.Cancel,
            RequestId = r.GetGuid(1),
            Provider = r.GetString(2),
            MerchantId = S(r, 3),
            PartnerRefundNo = S(r, 4),
            OriginalPartnerReferenceNo = S(r, 5),
            OriginalReferenceNo = S(r, 6),
            Amount = r.IsDBNull(7) ? null : r.GetDecimal(7),
            Currency = S(r, 8),
            State = Enum.Parse<OperationState>(r.GetString(9)),
            Attempts = r.GetInt32(10),
            Queries = r.GetInt32(11),
            ResponseCode = S(r, 12),
            ReferenceNo = S(r, 13),
            OutcomeTime = r.IsDBNull(14) ? null : r.GetFieldValue<DateTimeOffset>(14),
            RejectionErrors = S(r, 15),
            TraceParent = Telemetry.RequestTrace.LinkCurrent(S(r, 16)),
        };
    }

    private static async Task<List<object>> ReadAsync<TKey>(NpgsqlConnection conn, TKey key, string sql, Func<NpgsqlDataReader, object> map, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = key! });
        var list = new List<object>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(map(r));
        }

        return list;
    }

    private static Dictionary<string, object?> Row(NpgsqlDataReader r) => new()
    {
        ["id"] = r.GetGuid(0),
        ["kind"] = r.GetString(1),
        ["requestId"] = r.GetGuid(2),
        ["provider"] = r.GetString(3),
        ["merchantId"] = S(r, 4),
        ["partnerRefundNo"] = S(r, 5),
        ["originalPartnerReferenceNo"] = S(r, 6),
        ["originalReferenceNo"] = S(r, 7),
        ["externalId"] = r.GetString(8),
        ["amount"] = r.IsDBNull(9) ? null : r.GetDecimal(9),
        ["currency"] = S(r, 10),
        ["state"] = r.GetString(11),
        ["attempts"] = r.GetInt32(12),
        ["queries"] = r.GetInt32(13),
        ["nextAttemptAt"] = D(r, 14),
        ["leaseUntil"] = D(r, 15),
        ["createdAt"] = r.GetFieldValue<DateTimeOffset>(16),
        ["updatedAt"] = r.GetFieldValue<DateTimeOffset>(17),
        ["completedAt"] = D(r, 18),
        ["responseCode"] = S(r, 19),
        ["errorCode"] = S(r, 20),
        ["outcomeMessage"] = S(r, 21),
        ["referenceNo"] = S(r, 22),
        ["outcomeTime"] = D(r, 23),
    };

    private static string? S(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? D(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    private static string Cut(string s, int max) => s.Length > max ? s[..max] : s;

    private static NpgsqlParameter T(string? v) => new() { Value = (object?)v ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
