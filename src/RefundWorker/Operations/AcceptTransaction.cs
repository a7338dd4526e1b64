using Npgsql;
using NpgsqlTypes;
using RefundWorker.Options;
using RefundWorker.Outbox;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>
/// The accept stage's one PostgreSQL transaction (READ COMMITTED): the statements that record a batch of requests
/// (lock, insert, sort the skipped ones, reject, re-queue outcomes) run in it, and nothing is visible to other
/// replicas until <see cref="CommitAsync"/>. Disposing without committing rolls everything back. Begin one with
/// <see cref="OperationStore.BeginAcceptAsync"/>.
/// </summary>
public sealed class AcceptTransaction : IAsyncDisposable
{
    private readonly NpgsqlConnection _conn;
    private readonly NpgsqlTransaction _tx;

    private AcceptTransaction(NpgsqlConnection conn, NpgsqlTransaction tx)
    {
        _conn = conn;
        _tx = tx;
    }

    internal static async Task<AcceptTransaction> BeginAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var conn = await dataSource.OpenConnectionAsync(ct);
        try
        {
            return new AcceptTransaction(conn, await conn.BeginTransactionAsync(ct));
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

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
    public Task<HashSet<Guid>> InsertOperationsAsync(IReadOnlyList<Operation> ops, TimeSpan leaseDuration, CancellationToken ct)
        => InsertOperationsAsync(ops, leaseDuration, ExternalIdScope.Day, ct);

    /// <inheritdoc cref="InsertOperationsAsync(IReadOnlyList{Operation}, TimeSpan, CancellationToken)"/>
    public async Task<HashSet<Guid>> InsertOperationsAsync(IReadOnlyList<Operation> ops, TimeSpan leaseDuration,
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
            """, _conn, _tx);
        var p = cmd.Parameters;
        p.Add(SqlArrays.Of(ops.Select(o => o.Id).ToArray(), NpgsqlDbType.Uuid));
        p.Add(SqlArrays.Text(ops.Select(o => o.Kind == OperationKind.Refund ? "refund" : "cancel")));
        p.Add(SqlArrays.Of(ops.Select(o => o.RequestId).ToArray(), NpgsqlDbType.Uuid));
        p.Add(SqlArrays.Text(ops.Select(o => o.Provider)));
        p.Add(SqlArrays.Text(ops.Select(o => o.MerchantId)));
        p.Add(SqlArrays.Text(ops.Select(o => o.PartnerRefundNo)));
        p.Add(SqlArrays.Text(ops.Select(o => o.ExternalId)));
        p.Add(SqlArrays.Text(ops.Select(o => o.OriginalReferenceNo)));
        p.Add(SqlArrays.Text(ops.Select(o => o.OriginalPartnerReferenceNo)));
        p.Add(SqlArrays.Text(ops.Select(o => o.OriginalExternalId)));
        p.Add(SqlArrays.Text(ops.Select(o => o.ExternalStoreId)));
        p.Add(SqlArrays.Text(ops.Select(o => o.SubMerchantId)));
        p.Add(SqlArrays.Of(ops.Select(o => o.Amount).ToArray(), NpgsqlDbType.Numeric));
        p.Add(SqlArrays.Text(ops.Select(o => o.Currency)));
        p.Add(SqlArrays.Text(ops.Select(o => o.Reason)));
        p.Add(SqlArrays.Text(ops.Select(o => o.AdditionalInfo)));
        p.Add(SqlArrays.Text(ops.Select(o => o.Fingerprint)));
        p.Add(SqlArrays.Text(ops.Select(o => o.State.ToString())));
        p.Add(SqlArrays.Of(ops.Select(o => o.NextAttemptAt).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(SqlArrays.Text(ops.Select(o => o.LeaseOwner)));
        p.Add(SqlArrays.Of(ops.Select(o => o.LeaseToken).ToArray(), NpgsqlDbType.Uuid));
        p.Add(SqlArrays.Of(ops.Select(o => o.LeaseUntil).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(SqlArrays.Of(ops.Select(o => o.CreatedAt).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(SqlArrays.Of(ops.Select(o => o.CompletedAt).ToArray(), NpgsqlDbType.TimestampTz));
        p.Add(SqlArrays.Text(ops.Select(o => o.RejectionErrors)));
        p.Add(SqlArrays.Text(ops.Select(o => o.OutcomeMessage)));
        p.Add(new NpgsqlParameter { Value = leaseDuration, NpgsqlDbType = NpgsqlDbType.Interval });
        p.Add(SqlArrays.Of(ops.Select(o => o.ExternalIdDate).ToArray(), NpgsqlDbType.Date));
        p.Add(new NpgsqlParameter { Value = scope == ExternalIdScope.Forever, NpgsqlDbType = NpgsqlDbType.Boolean });
        p.Add(SqlArrays.Text(ops.Select(o => o.TraceParent)));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            inserted.Add(reader.GetGuid(0));
        }

        return inserted;
    }

    /// <summary>
    /// Serialises accepts of the same (provider, ExternalId) until the end of this transaction, for the Forever
    /// scope: a transaction-scoped advisory lock per pair, taken in one sorted order so that two batches cannot wait
    /// on each other. Must run before <see cref="InsertOperationsAsync(IReadOnlyList{Operation}, TimeSpan, ExternalIdScope, CancellationToken)"/>
    /// in the same READ COMMITTED transaction: the insert's snapshot is then taken after a concurrent holder committed.
    /// </summary>
    public async Task LockExternalIdsAsync(IReadOnlyList<Operation> ops, CancellationToken ct)
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
            """, _conn, _tx);
        cmd.Parameters.Add(SqlArrays.Text(ops.Select(o => o.Provider)));
        cmd.Parameters.Add(SqlArrays.Text(ops.Select(o => o.ExternalId)));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The first key of the ExternalId advisory locks (an arbitrary constant, "RWEI").</summary>
    private const int ExternalIdLockClass = 0x52574549;

    /// <summary>Live (not Rejected) operations that share a key or an ExternalId (of any day) with any of <paramref name="ops"/>.</summary>
    public async Task<List<Operation>> FindExistingAsync(IReadOnlyList<Operation> ops, CancellationToken ct)
    {
        var keys = ops.Select(OperationKey.Of).ToList();
        var refunds = keys.Where(k => k.Kind == OperationKind.Refund).ToList();
        var cancels = keys.Where(k => k.Kind == OperationKind.Cancel).ToList();
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT {OperationRows.Select("o.")} FROM operations o
            WHERE o.state <> 'Rejected' AND (
                (o.kind = 'refund' AND (o.provider, o.merchant_id, o.partner_refund_no) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[])))
             OR (o.kind = 'cancel' AND (o.provider, o.original_partner_reference_no) IN (SELECT * FROM unnest($4::text[], $5::text[])))
             OR ((o.provider, o.external_id) IN (SELECT * FROM unnest($6::text[], $7::text[]))))
            """, _conn, _tx);
        cmd.Parameters.Add(SqlArrays.Text(refunds.Select(k => k.Provider)));
        cmd.Parameters.Add(SqlArrays.Text(refunds.Select(k => k.MerchantId)));
        cmd.Parameters.Add(SqlArrays.Text(refunds.Select(k => k.Number)));
        cmd.Parameters.Add(SqlArrays.Text(cancels.Select(k => k.Provider)));
        cmd.Parameters.Add(SqlArrays.Text(cancels.Select(k => k.Number)));
        cmd.Parameters.Add(SqlArrays.Text(ops.Select(o => o.Provider)));
        cmd.Parameters.Add(SqlArrays.Text(ops.Select(o => o.ExternalId)));
        return await OperationRows.ReadAllAsync(cmd, ct);
    }

    /// <summary>
    /// (provider, external_id, day) of <paramref name="ops"/> already sent by a recorded attempt: on the operation's
    /// <see cref="Operation.ExternalIdDate"/> (the Jakarta date of the send), or on any day under
    /// <see cref="ExternalIdScope.Forever"/>.
    /// </summary>
    public async Task<HashSet<(string Provider, string ExternalId, DateOnly Day)>> FindUsedExternalIdsAsync(IReadOnlyList<Operation> ops, ExternalIdScope scope, CancellationToken ct)
    {
        var used = new HashSet<(string, string, DateOnly)>();
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT DISTINCT u.provider, u.external_id, u.day FROM unnest($1::text[], $2::text[], $3::date[]) AS u(provider, external_id, day)
            WHERE EXISTS (SELECT 1 FROM attempts a WHERE a.provider = u.provider AND a.external_id = u.external_id
                          AND ($4 OR {ExternalIdDay.Sql("a.requested_at")} = u.day))
            """, _conn, _tx);
        cmd.Parameters.Add(SqlArrays.Text(ops.Select(o => o.Provider)));
        cmd.Parameters.Add(SqlArrays.Text(ops.Select(o => o.ExternalId)));
        cmd.Parameters.Add(SqlArrays.Of(ops.Select(o => o.ExternalIdDate).ToArray(), NpgsqlDbType.Date));
        cmd.Parameters.Add(new NpgsqlParameter { Value = scope == ExternalIdScope.Forever, NpgsqlDbType = NpgsqlDbType.Boolean });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            used.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateOnly>(2)));
        }

        return used;
    }

    /// <summary>Rejected operations recorded earlier for these RequestIds (a redelivered invalid message).</summary>
    public async Task<List<Operation>> FindRejectedByRequestIdAsync(IReadOnlyList<Guid> requestIds, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {OperationRows.SelectList} FROM operations WHERE state = 'Rejected' AND request_id = ANY($1)", _conn, _tx);
        cmd.Parameters.Add(SqlArrays.Of(requestIds.ToArray(), NpgsqlDbType.Uuid));
        return await OperationRows.ReadAllAsync(cmd, ct);
    }

    /// <summary>
    /// Queues the recorded outcome events of these operations for publication again (same MessageId). Returns the
    /// operations that still had an outbox row; the others' rows were cleaned up after Worker:OutboxRetention.
    /// </summary>
    public async Task<HashSet<Guid>> RepublishOutcomesAsync(IReadOnlyList<Guid> operationIds, CancellationToken ct)
    {
        var found = new HashSet<Guid>();
        if (operationIds.Count == 0)
        {
            return found;
        }

        await using var cmd = new NpgsqlCommand("UPDATE outbox SET sent_at = NULL WHERE operation_id = ANY($1) RETURNING operation_id", _conn, _tx);
        cmd.Parameters.Add(SqlArrays.Of(operationIds.ToArray(), NpgsqlDbType.Uuid));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found.Add(reader.GetGuid(0));
        }

        return found;
    }

    /// <summary>
    /// Records requests that repeat an operation's key and content under another RequestId, and queues for each a copy
    /// of every event the operation has queued so far. The operation rows are locked first (FOR SHARE): an outcome
    /// commit either waits for this transaction and then copies its events to these repeats itself, or has committed
    /// and its events are found here.
    /// </summary>
    public async Task RecordRepeatsAsync(IReadOnlyList<(Guid RequestId, Guid OperationId)> repeats, DateTimeOffset now, CancellationToken ct)
    {
        if (repeats.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(_conn, _tx);
        var lockRows = new NpgsqlBatchCommand("SELECT id FROM operations WHERE id = ANY($1) ORDER BY id FOR SHARE");
        lockRows.Parameters.Add(SqlArrays.Of(repeats.Select(r => r.OperationId).Distinct().ToArray(), NpgsqlDbType.Uuid));
        var record = new NpgsqlBatchCommand(
            """
            INSERT INTO operation_requests (request_id, operation_id, received_at)
            SELECT r.request_id, r.operation_id, $3 FROM unnest($1::uuid[], $2::uuid[]) AS r(request_id, operation_id)
            ON CONFLICT (request_id) DO NOTHING
            """);
        record.Parameters.Add(SqlArrays.Of(repeats.Select(r => r.RequestId).ToArray(), NpgsqlDbType.Uuid));
        record.Parameters.Add(SqlArrays.Of(repeats.Select(r => r.OperationId).ToArray(), NpgsqlDbType.Uuid));
        record.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var copy = new NpgsqlBatchCommand(OutboxInserts.CopyToRepeatsSql("r.request_id = ANY($1)"));
        copy.Parameters.Add(SqlArrays.Of(repeats.Select(r => r.RequestId).ToArray(), NpgsqlDbType.Uuid));
        batch.BatchCommands.Add(lockRows);
        batch.BatchCommands.Add(record);
        batch.BatchCommands.Add(copy);
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Queues outcome events in the outbox, in this transaction.</summary>
    public Task InsertOutboxAsync(IReadOnlyList<(OutboxEnvelope Envelope, Guid? OperationId)> rows, DateTimeOffset now, CancellationToken ct)
        => OutboxInserts.InsertAsync(_conn, _tx, rows, now, ct);

    public Task CommitAsync(CancellationToken ct) => _tx.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _tx.DisposeAsync();
        await _conn.DisposeAsync();
    }
}
