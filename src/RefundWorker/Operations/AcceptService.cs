using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using RefundWorker.Contracts;
using RefundWorker.Options;
using RefundWorker.Outbox;
using RefundWorker.Persistence;
using RefundWorker.Snap;
using RefundWorker.Telemetry;

namespace RefundWorker.Operations;

/// <summary>
/// Durable accept of a batch of requests in ONE PostgreSQL transaction: validate with the SNAP rules and what the
/// columns can store, insert the valid ones (multi-row <c>INSERT … ON CONFLICT DO NOTHING</c> over the unique keys),
/// sort the rest into duplicates and conflicts, record invalid and conflicting ones as Rejected with their event in
/// the outbox, and re-queue the recorded outcome of duplicates of finished operations. After the commit, new
/// operations go straight to the executor under a lease taken in the same insert, so the happy path costs this commit
/// and the outcome commit.
/// </summary>
/// <remarks>
/// Validation runs before any insert, so an invalid request is a rejection, not a failed batch. Should PostgreSQL
/// still refuse the batch's data (a rule the validation does not know, e.g. a constraint added by a DBA), the batch
/// is accepted in halves, down to single requests, in transactions of their own: only the request that cannot be
/// recorded even alone is left out and reported in <see cref="AcceptResult.Unrecordable"/>. Any other failure
/// (connection lost, timeout) propagates, and the consumer's retry and redelivery run the whole batch again, which
/// the unique keys make harmless for the parts already committed.
/// </remarks>
public sealed class AcceptService(
    OperationStore store, SnapProviderRegistry providers, OperationExecutor executor, LeaseKeeper leases, OutboxSignal outbox, WorkerNode node,
    IOptions<WorkerOptions> options, TimeProvider time, ILogger<AcceptService> logger)
{
    /// <summary>One incoming request after validation: the row to insert, live or Rejected.</summary>
    private sealed record Prepared(Operation Incoming, Operation Row);

    public async Task<AcceptResult> AcceptAsync(IReadOnlyList<Operation> incoming, CancellationToken ct)
    {
        using var activity = WorkerTelemetry.Source.StartActivity("refund.accept");
        activity?.SetTag("batch.size", incoming.Count);
        // OpenTelemetry's messaging conventions for the processing of a batch of received messages.
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.batch.message_count", incoming.Count);
        var now = time.GetUtcNow();
        var prepared = new List<Prepared>(incoming.Count);
        foreach (var op in incoming)
        {
            var errors = ProviderRequests.Validate(providers, op);
            if (errors.Count > 0)
            {
                prepared.Add(new Prepared(op, Reject(op, errors, now)));
                continue;
            }

            // Lease and due time are set by PostgreSQL's clock in the insert; these are this process's estimate.
            op.State = OperationState.Sending;
            op.NextAttemptAt = now;
            op.LeaseOwner = node.Id;
            op.LeaseToken = BufferedGuids.NewRandom();
            op.LeaseUntil = now + options.Value.LeaseDuration;
            prepared.Add(new Prepared(op, op));
        }

        WorkerTelemetry.AcceptBatchSize.Record(incoming.Count);
        var result = await AcceptIsolatingAsync(prepared, ct);
        activity?.SetTag("accepted", result.Accepted);
        return result;
    }

    /// <summary>The batch in one transaction; if PostgreSQL refuses its data, each half in its own, down to one.</summary>
    private async Task<AcceptResult> AcceptIsolatingAsync(IReadOnlyList<Prepared> items, CancellationToken ct)
    {
        try
        {
            return await AcceptOnceAsync(items, ct);
        }
        catch (Exception e) when (PostgresErrors.IsDataError(e) && !ct.IsCancellationRequested)
        {
            var reason = PostgresErrors.Describe(e);
            if (items.Count == 1)
            {
                var op = items[0].Incoming;
                logger.LogError(e, "PostgreSQL refused to record request {RequestId} for {Key}: {Reason}; it goes to the error queue",
                    op.RequestId, StorageText.Clean(OperationFactory.KeyText(op), 300), reason);
                return new AcceptResult(0, 0, 0, 0) { Unrecordable = [new UnrecordableRequest(op, reason)] };
            }

            logger.LogWarning("PostgreSQL refused a batch of {Count} requests ({Reason}); accepting it in halves to isolate the request it refuses",
                items.Count, reason);
            var half = items.Count / 2;
            var first = await AcceptIsolatingAsync([.. items.Take(half)], ct);
            return first + await AcceptIsolatingAsync([.. items.Skip(half)], ct);
        }
    }

    private async Task<AcceptResult> AcceptOnceAsync(IReadOnlyList<Prepared> items, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // A stable order keeps two batches that share keys from waiting on each other in opposite orders. The sort
        // text is built once per row, not twice per comparison.
        var valid = items.Where(p => p.Row.State != OperationState.Rejected)
            .Select(p => (Key: OperationKey.Of(p.Row).SortText, p.Row))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Row)
            .ToList();
        var rejected = items.Where(p => p.Row.State == OperationState.Rejected).Select(p => p.Row).ToList();

        var duplicates = 0;
        var republish = new List<Operation>();
        var repeats = new List<(Guid RequestId, Guid OperationId)>();
        List<Operation> accepted;
        await using (var accept = await store.BeginAcceptAsync(ct))
        {
            var scope = options.Value.ExternalIdScope;
            if (scope == ExternalIdScope.Forever)
            {
                // Other days are not in the unique index: serialise accepts of one ExternalId so the insert's lookup
                // sees a concurrent accept of it on another day (one extra round trip, only under Forever).
                await accept.LockExternalIdsAsync(valid, ct);
            }

            var leaseSentAt = time.GetTimestamp();
            var inserted = await accept.InsertOperationsAsync(valid, options.Value.LeaseDuration, scope, ct);
            accepted = valid.Where(o => inserted.Contains(o.Id)).ToList();
            var skipped = valid.Where(o => !inserted.Contains(o.Id)).ToList();
            if (skipped.Count > 0)
            {
                var existing = await accept.FindExistingAsync(skipped, ct);
                var usedByAttempts = await accept.FindUsedExternalIdsAsync(skipped, scope, ct);
                foreach (var op in skipped)
                {
                    var key = OperationKey.Of(op);
                    var sameKey = existing.FirstOrDefault(e => OperationKey.Of(e) == key);
                    if (sameKey is not null)
                    {
                        if (sameKey.Fingerprint == op.Fingerprint)
                        {
                            logger.LogDebug("Request {RequestId} for {Key} repeats operation {OperationId} ({State})",
                                op.RequestId, OperationFactory.KeyText(op), sameKey.Id, sameKey.State);
                            duplicates++;
                            if (op.RequestId != sameKey.RequestId)
                            {
                                // Another RequestId for the same refund: no second call, but its sender hears back too.
                                repeats.Add((op.RequestId, sameKey.Id));
                            }

                            if (sameKey.State.IsFinal())
                            {
                                republish.Add(sameKey);
                            }

                            continue;
                        }

                        rejected.Add(Reject(op, OperationFactory.Conflicts(sameKey, op), now));
                        continue;
                    }

                    // Taken means: by a live operation of the same Jakarta day (any day under Forever), or sent by an
                    // attempt on that day. An operation of another day holding it is no conflict under Day.
                    var sameExternalId = existing.FirstOrDefault(e => e.Provider == op.Provider && e.ExternalId == op.ExternalId
                        && ExternalIdDay.Collide(scope, e.ExternalIdDate, op.ExternalIdDate));
                    if (sameExternalId is not null || usedByAttempts.Contains((op.Provider, op.ExternalId, op.ExternalIdDate)))
                    {
                        var other = sameExternalId is null ? "an earlier attempt" : OperationFactory.KeyText(sameExternalId);
                        rejected.Add(Reject(op, [new RejectionError("externalId", "conflict", $"externalId '{op.ExternalId}' is already used by {other}.")], now));
                        continue;
                    }

                    // The conflicting row vanished between the insert and the lookup (it cannot: nothing deletes
                    // operations). Fail the batch so it is retried rather than guess.
                    throw new InvalidOperationException($"Request {op.RequestId} was neither inserted nor matched an existing operation.");
                }
            }

            var rejectedInserted = rejected.Count == 0 ? [] : await accept.InsertOperationsAsync(rejected, options.Value.LeaseDuration, ct);
            await accept.InsertOutboxAsync(
                rejected.Where(r => rejectedInserted.Contains(r.Id)).Select(r => (OutcomeEvents.For(r, now), (Guid?)r.Id)).ToList(), now, ct);
            var redelivered = rejected.Where(r => !rejectedInserted.Contains(r.Id)).ToList();
            if (redelivered.Count > 0)
            {
                // The same invalid message again (same RequestId): its recorded rejection is published again.
                var earlier = await accept.FindRejectedByRequestIdAsync(redelivered.Select(r => r.RequestId).ToList(), ct);
                republish.AddRange(earlier);
                duplicates += redelivered.Count;
            }

            republish = [.. republish.DistinctBy(o => o.Id)];
            var stillInOutbox = await accept.RepublishOutcomesAsync([.. republish.Select(o => o.Id)], ct);
            // An outcome older than the outbox retention is rebuilt from the operation row (a new MessageId then).
            await accept.InsertOutboxAsync(
                [.. republish.Where(o => !stillInOutbox.Contains(o.Id)).Select(o => (OutcomeEvents.For(o, now), (Guid?)o.Id))], now, ct);
            // After any rebuilt event, so the repeats get a copy of it too.
            await accept.RecordRepeatsAsync(repeats, now, ct);
            var republished = republish.Count;
            await accept.CommitAsync(ct);

            var rejectedCount = rejectedInserted.Count;
            WorkerTelemetry.Accepted.Add(accepted.Count);
            WorkerTelemetry.Rejected.Add(rejectedCount);
            WorkerTelemetry.Duplicates.Add(duplicates);
            if (rejectedCount > 0 || republished > 0)
            {
                outbox.Notify();
            }

            if (rejectedCount > 0)
            {
                foreach (var r in rejected.Where(r => rejectedInserted.Contains(r.Id)))
                {
                    logger.LogInformation("Rejected request {RequestId} for {Key}: {Errors}", r.RequestId, OperationFactory.KeyText(r), r.RejectionErrors);
                }
            }

            // Hand over after the commit: the lease taken by the insert keeps other replicas away meanwhile.
            foreach (var op in accepted)
            {
                leases.Hold(op.Id, op.LeaseToken!.Value, leaseSentAt, options.Value.LeaseDuration);
            }

            var handed = 0;
            try
            {
                foreach (var op in accepted)
                {
                    await executor.EnqueueAsync(new WorkItem(op, WorkMode.Send, FirstCall: true), ct);
                    handed++;
                }
            }
            catch
            {
                // Stopping: what was not handed over was never sent. Give it back (Pending, due now) so any replica
                // sends it; if even that fails, its lease expires and it is reconciled.
                var unsent = accepted.Skip(handed).ToList();
                foreach (var op in unsent)
                {
                    leases.Release(op.Id, op.LeaseToken!.Value);
                }

                try
                {
                    await store.ReleaseUnsentAsync(unsent, CancellationToken.None);
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    logger.LogWarning(e, "Could not give back {Count} accepted operations that were not started; their leases will expire", unsent.Count);
                }

                throw;
            }

            return new AcceptResult(accepted.Count, duplicates, rejectedCount, republished);
        }
    }

    /// <summary>The Rejected row of <paramref name="op"/>, made storable: the request may carry exactly what
    /// PostgreSQL refuses (see <see cref="RequestStorageRules.ForStorage(Operation)"/>).</summary>
    private static Operation Reject(Operation op, IReadOnlyList<RejectionError> errors, DateTimeOffset now)
    {
        errors = RequestStorageRules.ForStorage(errors);
        var r = op.Copy();
        RequestStorageRules.ForStorage(r);
        r.Id = BufferedGuids.NewVersion7(now);
        r.State = OperationState.Rejected;
        r.NextAttemptAt = null;
        r.LeaseOwner = null;
        r.LeaseToken = null;
        r.LeaseUntil = null;
        r.CompletedAt = now;
        r.RejectionErrors = JsonSerializer.Serialize(errors, OperationFactory.Json);
        r.OutcomeMessage = StorageText.Clean(string.Join("; ", errors.Select(e => e.Message)), ColumnSizes.Operations.FreeText);

        return r;
    }

}
