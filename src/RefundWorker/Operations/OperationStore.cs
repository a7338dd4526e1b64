using Npgsql;
using NpgsqlTypes;
using RefundWorker.Options;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>
/// The hot-path SQL: multi-row statements over <c>unnest</c> arrays, one round trip per batch, instead of EF change
/// tracking. Every statement here is written for batches; a single operation is a batch of one.
/// </summary>
public sealed class OperationStore(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource => dataSource;

    private static readonly string[] ColumnNames =
    [
        "id", "kind", "request_id", "provider", "merchant_id", "partner_refund_no", "external_id", "external_id_date", "original_reference_no",
        "original_partner_reference_no", "original_external_id", "external_store_id", "sub_merchant_id", "amount", "currency",
        "reason", "additional_info", "fingerprint", "state", "attempts", "queries", "next_attempt_at", "lease_owner", "lease_token",
        "lease_until", "created_at", "updated_at", "completed_at", "response_code", "error_code", "outcome_message", "reference_no",
        "outcome_time", "rejection_errors", "trace_parent",
    ];

    private static readonly string OperationColumns = Cols(string.Empty);

    /// <summary>The select list of an operation row; jsonb columns come back as text.</summary>
    private static string Cols(string alias)
        => string.Join(", ", ColumnNames.Select(c => c is "additional_info" or "rejection_errors" ? $"{alias}{c}::text AS {c}" : alias + c));

    /// <summary>
    /// Inserts operations; rows that hit a unique index (key, ExternalId of the same Jakarta day, a rejected
    /// RequestId) or whose ExternalId is already taken under <paramref name="scope"/> (by a live operation of another
    /// day under <see cref="ExternalIdScope.Forever"/>, or by an attempt sent on the row's day, any day under Forever)
    /// are skipped. Returns the ids actually inserted. A row with a lease token is leased for
    /// <paramref name="leaseDuration"/> by PostgreSQL's clock and due now by that clock; the
    /// <see cref="Operation.LeaseUntil"/> and <see cref="Operation.NextAttemptAt"/> of such rows are not used.
    /// </summary>
    /// <remarks>
    /// Under <see cref="ExternalIdScope.Day"/> the unique index settles two concurrent accepts of one ExternalId on
    /// one day. Under Forever the other days are a lookup, which two concurrent transactions would not see in each
    /// other; call <see cref="LockExternalIdsAsync"/> first in the same transaction to make it atomic.
    /// </remarks>
    public static Task<HashSet<Guid>> InsertOperationsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Operation> ops, TimeSpan leaseDuration, CancellationToken ct)
        => InsertOperationsAsync(conn, tx, ops, leaseDuration, ExternalIdScope.Day, ct);

    /// <inheritdoc cref="InsertOperationsAsync(NpgsqlConnection, NpgsqlTransaction, IReadOnlyList{Operation}, TimeSpan, CancellationToken)"/>
    public static async Task<HashSet<Guid>> InsertOperationsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Operation> ops, TimeSpan leaseDuration,
        ExternalIdScope scope, CancellationToken ct)
    {
        var inserted = new HashSet<Guid>();
        if (ops.Count == 0)
        {
            return inserted;
        }

        await using var cmd = new NpgsqlCommand(
            $"""
            INSERT INTO operations (id, kind, request_id, provider, merchant_id, partner_refund_no, external_id, external_id_date,
                original_reference_no, original_partner_reference_no, original_external_id, external_store_id, sub_merchant_id,
                amount, currency, reason, additional_info, fingerprint, state, attempts, queries, next_attempt_at,
                lease_owner, lease_token, lease_until, created_at, updated_at, completed_at, rejection_errors, outcome_message, trace_parent)
            SELECT u.id, u.kind, u.request_id, u.provider, u.merchant_id, u.partner_refund_no, u.external_id, u.eid_date,
                u.orn, u.oprn, u.oei, u.esi, u.smi, u.amount, u.currency, u.reason, u.ai::jsonb, u.fp, u.state, 0, 0,
                CASE WHEN u.lease_token IS NULL THEN u.next_at ELSE clock_timestamp() END,
                u.lease_owner, u.lease_token, CASE WHEN u.lease_token IS NULL THEN NULL ELSE clock_timestamp() + $27 END, u.created_at, u.created_at, u.completed_at, u.rej::jsonb, u.msg, u.tp
            FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                        $10::text[], $11::text[], $12::text[], $13::numeric[], $14::text[], $15::text[], $16::text[], $17::text[],
                        $18::text[], $19::timestamptz[], $20::text[], $21::uuid[], $22::timestamptz[], $23::timestamptz[],
                        $24::timestamptz[], $25::text[], $26::text[], $28::date[], $30::text[])
                AS u(id, kind, request_id, provider, merchant_id, partner_refund_no, external_id, orn, oprn, oei, esi, smi,
                     amount, currency, reason, ai, fp, state, next_at, lease_owner, lease_token, lease_until, created_at,
                     completed_at, rej, msg, eid_date, tp)
            WHERE u.state = 'Rejected'
               OR (NOT EXISTS (SELECT 1 FROM attempts a WHERE a.provider = u.provider AND a.external_id = u.external_id
                                AND ($29 OR {ExternalIdDay.Sql("a.requested_at")} = u.eid_date))
                   AND (NOT $29 OR NOT EXISTS (SELECT 1 FROM operations o WHERE o.provider = u.provider AND o.external_id = u.external_id
                                                AND o.state <> 'Rejected')))
            ON CONFLICT DO NOTHING
            RETURNING id
            """, conn, tx);
        var p = cmd.Parameters;
        p.Add(Arr(ops.Select(o => o.Id).ToArray(), NpgsqlDbType.Uuid));
        p.Add(Text(ops.Select(o => o.Kind == OperationKind.Refund ? "refund" : "cancel")));
        p.Add(Arr(ops.Select(o => o.RequestId).ToArray(), NpgsqlDbType.Uuid));
        p.Add(Text(ops.Select(o => o.Provider)));
        p.Add(Text(ops.Select(o => o.MerchantId)));
        p.Add(Text(ops.Select(o => o.PartnerRefundNo)));
        p.Add(Text(ops.Select(o => o.ExternalId)));
        p.Add(Text(ops.Select(o => o.OriginalReferenceNo)));
        p.Add(Text(ops.Select(o => o.OriginalPartnerReferenceNo)));
        p.Add(Text(ops.Select(o => o.OriginalExternalId)));
        p.Add(Text(ops.Select(o => o.ExternalStoreId)));
        p.Add(Text(ops.Select(o => o.SubMerchantId)));
        p.Add(Arr(ops.Select(o => o.Amount).ToArray(), NpgsqlDbType.Numeric));
        p.Add(Text(ops.Select(o => o.Currency)));
        p.Add(Text(ops.Select(o => o.Reason)));
        p.Add(Text(ops.Select(o => o.AdditionalInfo)));
        p.Add(Text(ops.Select(o => o.Fingerprint)));
        p.Add(Text(ops.Select(o => o.State.ToString())));
        p.Add(Arr(ops.Select(o => o.NextAttemptAt).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(Text(ops.Select(o => o.LeaseOwner)));
        p.Add(Arr(ops.Select(o => o.LeaseToken).ToArray(), NpgsqlDbType.Uuid));
        p.Add(Arr(ops.Select(o => o.LeaseUntil).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(Arr(ops.Select(o => o.CreatedAt).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(Arr(ops.Select(o => o.CompletedAt).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(Text(ops.Select(o => o.RejectionErrors)));
        p.Add(Text(ops.Select(o => o.OutcomeMessage)));
        p.Add(new NpgsqlParameter { Value = leaseDuration, NpgsqlDbType = NpgsqlDbType.Interval });
        p.Add(Arr(ops.Select(o => o.ExternalIdDate).ToArray(), NpgsqlDbType.Date));
        p.Add(new NpgsqlParameter { Value = scope == ExternalIdScope.Forever, NpgsqlDbType = NpgsqlDbType.Boolean });
        p.Add(Text(ops.Select(o => o.TraceParent)));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            inserted.Add(reader.GetGuid(0));
        }

        return inserted;
    }

    /// <summary>
    /// Serialises accepts of the same (provider, ExternalId) until the end of <paramref name="tx"/>, for the Forever
    /// scope: a transaction-scoped advisory lock per pair, taken in one sorted order so that two batches cannot wait
    /// on each other. Must run before <see cref="InsertOperationsAsync(NpgsqlConnection, NpgsqlTransaction, IReadOnlyList{Operation}, TimeSpan, ExternalIdScope, CancellationToken)"/>
    /// in the same READ COMMITTED transaction: the insert's snapshot is then taken after a concurrent holder committed.
    /// </summary>
    public static async Task LockExternalIdsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Operation> ops, CancellationToken ct)
    {
        if (ops.Count == 0)
        {
            return;
        }

        // The two-key form keeps these locks apart from any single-key advisory lock; the constant names the use.
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock({ExternalIdLockClass}, k)
            FROM (SELECT DISTINCT hashtext(u.provider || chr(10) || u.external_id) AS k
                  FROM unnest($1::text[], $2::text[]) AS u(provider, external_id) ORDER BY k OFFSET 0) AS keys
            """, conn, tx);
        cmd.Parameters.Add(Text(ops.Select(o => o.Provider)));
        cmd.Parameters.Add(Text(ops.Select(o => o.ExternalId)));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The first key of the ExternalId advisory locks (an arbitrary constant, "RWEI").</summary>
    private const int ExternalIdLockClass = 0x52574549;

    /// <summary>Live (not Rejected) operations that share a key or an ExternalId (of any day) with any of <paramref name="ops"/>.</summary>
    public static async Task<List<Operation>> FindExistingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Operation> ops, CancellationToken ct)
    {
        var refunds = ops.Where(o => o.Kind == OperationKind.Refund).ToList();
        var cancels = ops.Where(o => o.Kind == OperationKind.Cancel).ToList();
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT {Cols("o.")} FROM operations o
            WHERE o.state <> 'Rejected' AND (
                (o.kind = 'refund' AND (o.provider, o.merchant_id, o.partner_refund_no) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[])))
             OR (o.kind = 'cancel' AND (o.provider, o.original_partner_reference_no) IN (SELECT * FROM unnest($4::text[], $5::text[])))
             OR ((o.provider, o.external_id) IN (SELECT * FROM unnest($6::text[], $7::text[]))))
            """, conn, tx);
        cmd.Parameters.Add(Text(refunds.Select(o => o.Provider)));
        cmd.Parameters.Add(Text(refunds.Select(o => o.MerchantId)));
        cmd.Parameters.Add(Text(refunds.Select(o => o.PartnerRefundNo)));
        cmd.Parameters.Add(Text(cancels.Select(o => o.Provider)));
        cmd.Parameters.Add(Text(cancels.Select(o => o.OriginalPartnerReferenceNo)));
        cmd.Parameters.Add(Text(ops.Select(o => o.Provider)));
        cmd.Parameters.Add(Text(ops.Select(o => o.ExternalId)));
        return await ReadOperationsAsync(cmd, ct);
    }

    /// <summary>
    /// (provider, external_id, day) of <paramref name="ops"/> already sent by a recorded attempt: on the operation's
    /// <see cref="Operation.ExternalIdDate"/> (the Jakarta date of the send), or on any day under
    /// <see cref="ExternalIdScope.Forever"/>.
    /// </summary>
    public static async Task<HashSet<(string Provider, string ExternalId, DateOnly Day)>> FindUsedExternalIdsAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        IReadOnlyList<Operation> ops, ExternalIdScope scope, CancellationToken ct)
    {
        var used = new HashSet<(string, string, DateOnly)>();
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT DISTINCT u.provider, u.external_id, u.day FROM unnest($1::text[], $2::text[], $3::date[]) AS u(provider, external_id, day)
            WHERE EXISTS (SELECT 1 FROM attempts a WHERE a.provider = u.provider AND a.external_id = u.external_id
                          AND ($4 OR {ExternalIdDay.Sql("a.requested_at")} = u.day))
            """, conn, tx);
        cmd.Parameters.Add(Text(ops.Select(o => o.Provider)));
        cmd.Parameters.Add(Text(ops.Select(o => o.ExternalId)));
        cmd.Parameters.Add(Arr(ops.Select(o => o.ExternalIdDate).ToArray(), NpgsqlDbType.Date));
        cmd.Parameters.Add(new NpgsqlParameter { Value = scope == ExternalIdScope.Forever, NpgsqlDbType = NpgsqlDbType.Boolean });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            used.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateOnly>(2)));
        }

        return used;
    }

    /// <summary>Rejected operations recorded earlier for these RequestIds (a redelivered invalid message).</summary>
    public static async Task<List<Operation>> FindRejectedByRequestIdAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Guid> requestIds, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {OperationColumns} FROM operations WHERE state = 'Rejected' AND request_id = ANY($1)", conn, tx);
        cmd.Parameters.Add(Arr(requestIds.ToArray(), NpgsqlDbType.Uuid));
        return await ReadOperationsAsync(cmd, ct);
    }

    /// <summary>
    /// Queues the recorded outcome events of these operations for publication again (same MessageId). Returns the
    /// operations that still had an outbox row; the others' rows were cleaned up after Worker:OutboxRetention.
    /// </summary>
    public static async Task<HashSet<Guid>> RepublishOutcomesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Guid> operationIds, CancellationToken ct)
    {
        var found = new HashSet<Guid>();
        if (operationIds.Count == 0)
        {
            return found;
        }

        await using var cmd = new NpgsqlCommand("UPDATE outbox SET sent_at = NULL WHERE operation_id = ANY($1) RETURNING operation_id", conn, tx);
        cmd.Parameters.Add(Arr(operationIds.ToArray(), NpgsqlDbType.Uuid));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found.Add(reader.GetGuid(0));
        }

        return found;
    }

    public static async Task InsertOutboxAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<(OutboxEnvelope Envelope, Guid? OperationId)> rows, DateTimeOffset now, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await using var cmd = new NpgsqlCommand(
            """
            INSERT INTO outbox (id, type, payload, created_at, operation_id)
            SELECT e.id, e.type, e.payload::jsonb, $5, e.op FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[]) AS e(id, type, payload, op)
            ON CONFLICT (id) DO NOTHING
            """, conn, tx);
        cmd.Parameters.Add(Arr(rows.Select(r => r.Envelope.Id).ToArray(), NpgsqlDbType.Uuid));
        cmd.Parameters.Add(Text(rows.Select(r => r.Envelope.Type)));
        cmd.Parameters.Add(Text(rows.Select(r => r.Envelope.Payload)));
        cmd.Parameters.Add(Arr(rows.Select(r => r.OperationId).ToArray(), NpgsqlDbType.Uuid));
        cmd.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Claims due operations for this node: retries and reconciliations whose time has come, and operations whose
    /// lease expired (a crashed or stopped replica). <c>FOR UPDATE SKIP LOCKED</c> lets replicas claim side by side.
    /// A claimed Pending operation becomes Sending; a Sending one whose lease expired becomes Reconciling, because
    /// its call may have landed. Due times and leases are read and written by PostgreSQL's clock, never a replica's.
    /// </summary>
    public async Task<List<(Operation Op, OperationState PreviousState)>> ClaimDueAsync(string owner, TimeSpan leaseDuration, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            $"""
            WITH due AS (
                SELECT id, state AS previous_state FROM operations
                WHERE state IN ('Pending', 'Sending', 'Reconciling') AND next_attempt_at <= clock_timestamp()
                  AND (lease_until IS NULL OR lease_until < clock_timestamp())
                ORDER BY next_attempt_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            UPDATE operations o SET
                state = CASE o.state WHEN 'Pending' THEN 'Sending' WHEN 'Sending' THEN 'Reconciling' ELSE o.state END,
                -- The trail is written before the wire, the counters only at the outcome commit: after a crash in
                -- between, the trail is right. A refused token (RefreshToken) processed nothing and is not counted.
                attempts = GREATEST(o.attempts, (SELECT count(*) FROM attempts a WHERE a.operation_id = o.id AND a.action = 'send' AND a.classification <> 'RefreshToken')),
                queries = GREATEST(o.queries, (SELECT count(*) FROM attempts a WHERE a.operation_id = o.id AND a.action = 'query' AND a.classification <> 'RefreshToken')),
                lease_owner = $1, lease_token = gen_random_uuid(), lease_until = clock_timestamp() + $2, updated_at = clock_timestamp()
            FROM due WHERE o.id = due.id
            RETURNING {Cols("o.")}, due.previous_state
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = owner, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = leaseDuration, NpgsqlDbType = NpgsqlDbType.Interval });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit, NpgsqlDbType = NpgsqlDbType.Integer });
        var result = new List<(Operation, OperationState)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var cols = new Columns(reader);
        var prev = reader.GetOrdinal("previous_state");
        while (await reader.ReadAsync(ct))
        {
            result.Add((cols.Read(reader), Enum.Parse<OperationState>(reader.GetString(prev))));
        }

        return result;
    }

    /// <summary>
    /// One group commit: every transition, its outcome event and every attempt, in one implicit transaction (one
    /// round trip). A transition applies only while its lease token is current, and its event is written only if it
    /// applied, so a replica that lost its lease can never publish an outcome. Attempts are recorded regardless:
    /// they happened. Returns the operation ids whose transition applied; <paramref name="applied"/>, when given,
    /// receives each applied operation's kind and creation time (for the request-to-outcome latency).
    /// </summary>
    public async Task<HashSet<Guid>> WriteTransitionsAsync(
        IReadOnlyList<Transition> transitions, DateTimeOffset now, CancellationToken ct, Dictionary<Guid, (string Kind, DateTimeOffset CreatedAt)>? applied = null)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn);

        var withEvent = transitions.Where(t => t.Event is not null).ToList();
        var update = new NpgsqlBatchCommand(
            """
            WITH u AS (
                SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::timestamptz[], $7::text[],
                                     $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[])
                    AS t(id, lease_token, state, attempts, queries, next_attempt_at, response_code, error_code, outcome_message,
                         reference_no, outcome_time, completed_at)),
            upd AS (
                UPDATE operations o SET state = u.state, attempts = u.attempts, queries = u.queries,
                    next_attempt_at = clock_timestamp() + (u.next_attempt_at - $13), response_code = COALESCE(u.response_code, o.response_code),
                    error_code = u.error_code, outcome_message = u.outcome_message, reference_no = COALESCE(u.reference_no, o.reference_no),
                    outcome_time = COALESCE(u.outcome_time, o.outcome_time), completed_at = u.completed_at,
                    lease_owner = NULL, lease_token = NULL, lease_until = NULL, updated_at = $13
                FROM u WHERE o.id = u.id AND o.lease_token = u.lease_token
                RETURNING o.id, u.lease_token, o.kind, o.created_at),
            ins AS (
                INSERT INTO outbox (id, type, payload, created_at, operation_id)
                SELECT e.id, e.type, e.payload::jsonb, $13, e.op FROM unnest($14::uuid[], $15::text[], $16::text[], $17::uuid[], $18::uuid[]) AS e(id, type, payload, op, lease_token)
                WHERE (e.op, e.lease_token) IN (SELECT id, lease_token FROM upd)
                RETURNING 1)
            SELECT id, kind, created_at FROM upd
            """);
        var p = update.Parameters;
        p.Add(Arr(transitions.Select(t => t.OperationId).ToArray(), NpgsqlDbType.Uuid));
        p.Add(Arr(transitions.Select(t => t.LeaseToken).ToArray(), NpgsqlDbType.Uuid));
        p.Add(Text(transitions.Select(t => t.State.ToString())));
        p.Add(Arr(transitions.Select(t => t.Attempts).ToArray(), NpgsqlDbType.Integer));
        p.Add(Arr(transitions.Select(t => t.Queries).ToArray(), NpgsqlDbType.Integer));
        p.Add(Arr(transitions.Select(t => t.NextAttemptAt).ToArray(), NpgsqlDbType.TimestampTz));
        // What a provider sent is cleaned and bounded here (NUL, broken UTF-16, over-long text), so one odd answer
        // cannot make PostgreSQL refuse the whole group.
        p.Add(Text(transitions.Select(t => StorageText.CleanOrNull(t.ResponseCode, ColumnSizes.Operations.ResponseCode))));
        p.Add(Text(transitions.Select(t => StorageText.CleanOrNull(t.ErrorCode, ColumnSizes.Operations.ErrorCode))));
        p.Add(Text(transitions.Select(t => StorageText.CleanOrNull(t.OutcomeMessage, ColumnSizes.Operations.FreeText))));
        p.Add(Text(transitions.Select(t => StorageText.CleanOrNull(t.ReferenceNo, ColumnSizes.Operations.FreeText))));
        p.Add(Arr(transitions.Select(t => t.OutcomeTime).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(Arr(transitions.Select(t => t.CompletedAt).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(Arr(withEvent.Select(t => t.Event!.Id).ToArray(), NpgsqlDbType.Uuid));
        p.Add(Text(withEvent.Select(t => t.Event!.Type)));
        p.Add(Text(withEvent.Select(t => t.Event!.Payload)));
        p.Add(Arr(withEvent.Select(t => t.OperationId).ToArray(), NpgsqlDbType.Uuid));
        p.Add(Arr(withEvent.Select(t => t.LeaseToken).ToArray(), NpgsqlDbType.Uuid));
        batch.BatchCommands.Add(update);

        var attempts = transitions.SelectMany(t => t.AttemptsMade).ToList();
        if (attempts.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                """
                INSERT INTO attempts (operation_id, number, action, provider, external_id, requested_at, http_status, response_code,
                                      classification, transport_failure, latency_ms, trace_id, detail)
                SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::int[], $8::text[],
                                     $9::text[], $10::text[], $11::float8[], $12::text[], $13::text[])
                ON CONFLICT (operation_id, external_id) DO UPDATE SET
                    http_status = EXCLUDED.http_status, response_code = EXCLUDED.response_code,
                    classification = EXCLUDED.classification, transport_failure = EXCLUDED.transport_failure,
                    latency_ms = EXCLUDED.latency_ms, trace_id = COALESCE(EXCLUDED.trace_id, attempts.trace_id),
                    detail = EXCLUDED.detail
                """);
            var a = insert.Parameters;
            a.Add(Arr(attempts.Select(x => x.OperationId).ToArray(), NpgsqlDbType.Uuid));
            a.Add(Arr(attempts.Select(x => x.Number).ToArray(), NpgsqlDbType.Integer));
            a.Add(Text(attempts.Select(x => StorageText.Clean(x.Action, ColumnSizes.Attempts.Action))));
            a.Add(Text(attempts.Select(x => StorageText.Clean(x.Provider, ColumnSizes.Attempts.Provider))));
            a.Add(Text(attempts.Select(x => StorageText.Clean(x.ExternalId, ColumnSizes.Attempts.ExternalId))));
            a.Add(Arr(attempts.Select(x => x.RequestedAt).ToArray(), NpgsqlDbType.TimestampTz));
            a.Add(Arr(attempts.Select(x => x.HttpStatus).ToArray(), NpgsqlDbType.Integer));
            a.Add(Text(attempts.Select(x => StorageText.CleanOrNull(x.ResponseCode, ColumnSizes.Attempts.ResponseCode))));
            a.Add(Text(attempts.Select(x => StorageText.Clean(x.Classification, ColumnSizes.Attempts.Classification))));
            a.Add(Text(attempts.Select(x => StorageText.CleanOrNull(x.TransportFailure, ColumnSizes.Attempts.TransportFailure))));
            a.Add(Arr(attempts.Select(x => x.LatencyMs).ToArray(), NpgsqlDbType.Double));
            a.Add(Text(attempts.Select(x => StorageText.CleanOrNull(x.TraceId, ColumnSizes.Attempts.TraceId))));
            a.Add(Text(attempts.Select(x => StorageText.CleanOrNull(x.Detail, ColumnSizes.Attempts.Detail))));
            batch.BatchCommands.Add(insert);
        }

        // A multi-statement batch runs in one implicit transaction: the whole group commits or nothing does.
        var ids = new HashSet<Guid>();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            ids.Add(id);
            applied?.TryAdd(id, (reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return ids;
    }

    /// <summary>One operation by id, or null (the outcome writer reads it to park a refused transition).</summary>
    /// <summary>
    /// The provider's own success answer to a send of this operation, if the trail holds one: written when a
    /// replica's outcome commit lost its lease (PostgreSQL away longer than the lease), it proves the refund landed.
    /// </summary>
    public async Task<(int Number, string? ResponseCode)?> FindRecordedSuccessAsync(Guid operationId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT number, response_code FROM attempts WHERE operation_id = $1 AND action = 'send' AND classification = 'Success' ORDER BY number LIMIT 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = operationId, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1)) : null;
    }

    /// <summary>
    /// Gives back the leases of accepted operations that were never handed to the executor (the process is stopping):
    /// known not sent, so they go back to Pending, due now, for any replica, instead of waiting for the lease to end
    /// and then being reconciled as if they might have been sent.
    /// </summary>
    public async Task<int> ReleaseUnsentAsync(IReadOnlyList<Operation> ops, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            """
            UPDATE operations o SET state = 'Pending', lease_owner = NULL, lease_token = NULL, lease_until = NULL,
                next_attempt_at = clock_timestamp(), updated_at = clock_timestamp()
            FROM unnest($1::uuid[], $2::uuid[]) AS u(id, token)
            WHERE o.id = u.id AND o.lease_token = u.token AND o.state = 'Sending' AND o.attempts = 0
            """);
        cmd.Parameters.Add(Arr(ops.Select(o => o.Id).ToArray(), NpgsqlDbType.Uuid));
        cmd.Parameters.Add(Arr(ops.Select(o => o.LeaseToken!.Value).ToArray(), NpgsqlDbType.Uuid));
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<Operation?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {OperationColumns} FROM operations WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        return (await ReadOperationsAsync(cmd, ct)).SingleOrDefault();
    }

    private static async Task<List<Operation>> ReadOperationsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var result = new List<Operation>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var cols = new Columns(reader);
        while (await reader.ReadAsync(ct))
        {
            result.Add(cols.Read(reader));
        }

        return result;
    }

    internal static NpgsqlParameter Text(IEnumerable<string?> values)
        => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    internal static NpgsqlParameter Arr<T>(T[] values, NpgsqlDbType type)
        => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type };

    /// <summary>Column ordinals resolved once per result set.</summary>
    private sealed class Columns(NpgsqlDataReader r)
    {
        private readonly int _id = r.GetOrdinal("id"), _kind = r.GetOrdinal("kind"), _requestId = r.GetOrdinal("request_id"),
            _provider = r.GetOrdinal("provider"), _merchantId = r.GetOrdinal("merchant_id"), _prn = r.GetOrdinal("partner_refund_no"),
            _externalId = r.GetOrdinal("external_id"), _externalIdDate = r.GetOrdinal("external_id_date"), _orn = r.GetOrdinal("original_reference_no"),
            _oprn = r.GetOrdinal("original_partner_reference_no"), _oei = r.GetOrdinal("original_external_id"),
            _esi = r.GetOrdinal("external_store_id"), _smi = r.GetOrdinal("sub_merchant_id"), _amount = r.GetOrdinal("amount"),
            _currency = r.GetOrdinal("currency"), _reason = r.GetOrdinal("reason"), _ai = r.GetOrdinal("additional_info"),
            _fp = r.GetOrdinal("fingerprint"), _state = r.GetOrdinal("state"), _attempts = r.GetOrdinal("attempts"),
            _queries = r.GetOrdinal("queries"), _next = r.GetOrdinal("next_attempt_at"), _leaseOwner = r.GetOrdinal("lease_owner"),
            _leaseToken = r.GetOrdinal("lease_token"), _leaseUntil = r.GetOrdinal("lease_until"), _created = r.GetOrdinal("created_at"),
            _updated = r.GetOrdinal("updated_at"), _completed = r.GetOrdinal("completed_at"), _rc = r.GetOrdinal("response_code"),
            _ec = r.GetOrdinal("error_code"), _om = r.GetOrdinal("outcome_message"), _ref = r.GetOrdinal("reference_no"),
            _ot = r.GetOrdinal("outcome_time"), _rej = r.GetOrdinal("rejection_errors"), _tp = r.GetOrdinal("trace_parent");

        public Operation Read(NpgsqlDataReader r) => new()
        {
            Id = r.GetGuid(_id),
            Kind = r.GetString(_kind) == "refund" ? OperationKind.Refund : OperationKind.Cancel,
            RequestId = r.GetGuid(_requestId),
            Provider = r.GetString(_provider),
            MerchantId = S(r, _merchantId),
            PartnerRefundNo = S(r, _prn),
            ExternalId = r.GetString(_externalId),
            ExternalIdDate = r.GetFieldValue<DateOnly>(_externalIdDate),
            OriginalReferenceNo = S(r, _orn),
            OriginalPartnerReferenceNo = S(r, _oprn),
            OriginalExternalId = S(r, _oei),
            ExternalStoreId = S(r, _esi),
            SubMerchantId = S(r, _smi),
            Amount = r.IsDBNull(_amount) ? null : r.GetDecimal(_amount),
            Currency = S(r, _currency),
            Reason = S(r, _reason),
            AdditionalInfo = S(r, _ai),
            Fingerprint = r.GetString(_fp),
            State = Enum.Parse<OperationState>(r.GetString(_state)),
            Attempts = r.GetInt32(_attempts),
            Queries = r.GetInt32(_queries),
            NextAttemptAt = T(r, _next),
            LeaseOwner = S(r, _leaseOwner),
            LeaseToken = r.IsDBNull(_leaseToken) ? null : r.GetGuid(_leaseToken),
            LeaseUntil = T(r, _leaseUntil),
            CreatedAt = r.GetFieldValue<DateTimeOffset>(_created),
            UpdatedAt = r.GetFieldValue<DateTimeOffset>(_updated),
            CompletedAt = T(r, _completed),
            ResponseCode = S(r, _rc),
            ErrorCode = S(r, _ec),
            OutcomeMessage = S(r, _om),
            ReferenceNo = S(r, _ref),
            OutcomeTime = T(r, _ot),
            RejectionErrors = S(r, _rej),
            TraceParent = S(r, _tp),
        };

        private static string? S(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

        private static DateTimeOffset? T(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
    }
}

/// <summary>A decided change of one operation, written by the outcome writer's group commit.</summary>
public sealed class Transition
{
    public required Guid OperationId { get; init; }
    public required Guid LeaseToken { get; init; }
    public required OperationState State { get; init; }
    public required int Attempts { get; init; }
    public required int Queries { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public string? ResponseCode { get; init; }
    public string? ErrorCode { get; init; }
    public string? OutcomeMessage { get; init; }
    public string? ReferenceNo { get; init; }
    public DateTimeOffset? OutcomeTime { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public List<Attempt> AttemptsMade { get; init; } = [];
    public OutboxEnvelope? Event { get; init; }

    public bool IsFinal => State is OperationState.Succeeded or OperationState.Failed or OperationState.NeedsReview or OperationState.Rejected;
}
