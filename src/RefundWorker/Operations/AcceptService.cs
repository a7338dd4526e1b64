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

/// <summary>What one accept transaction did.</summary>
public sealed record AcceptResult(int Accepted, int Duplicates, int Rejected, int Republished);

/// <summary>
/// Durable accept of a batch of requests in ONE PostgreSQL transaction: validate with the SNAP rules, insert the
/// valid ones (multi-row <c>INSERT … ON CONFLICT DO NOTHING</c> over the unique keys), sort the rest into duplicates
/// and conflicts, record invalid and conflicting ones as Rejected with their event in the outbox, and re-queue the
/// recorded outcome of duplicates of finished operations. After the commit, new operations go straight to the
/// executor under a lease taken in the same insert, so the happy path costs this commit and the outcome commit.
/// </summary>
public sealed class AcceptService(
    OperationStore store, SnapProviderRegistry providers, OperationExecutor executor, LeaseKeeper leases, OutboxSignal outbox, WorkerNode node,
    IOptions<WorkerOptions> options, TimeProvider time, ILogger<AcceptService> logger)
{
    public async Task<AcceptResult> AcceptAsync(IReadOnlyList<Operation> incoming, CancellationToken ct)
    {
        using var activity = WorkerTelemetry.Source.StartActivity("refund.accept");
        activity?.SetTag("batch.size", incoming.Count);
        var now = time.GetUtcNow();
        var valid = new List<Operation>(incoming.Count);
        var rejected = new List<Operation>();
        foreach (var op in incoming)
        {
            var errors = ProviderRequests.Validate(providers, op);
            if (errors.Count > 0)
            {
                rejected.Add(Reject(op, errors, now));
                continue;
            }

            // Lease and due time are set by PostgreSQL's clock in the insert; these are this process's estimate.
            op.State = OperationState.Sending;
            op.NextAttemptAt = now;
            op.LeaseOwner = node.Id;
            op.LeaseToken = Guid.NewGuid();
            op.LeaseUntil = now + options.Value.LeaseDuration;
            valid.Add(op);
        }

        // A stable order keeps two batches that share keys from waiting on each other in opposite orders.
        valid.Sort(static (a, b) => string.CompareOrdinal(SortKey(a), SortKey(b)));

        var duplicates = 0;
        var republish = new List<Operation>();
        List<Operation> accepted;
        await using (var conn = await store.DataSource.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            var leaseSentAt = time.GetTimestamp();
            var inserted = await OperationStore.InsertOperationsAsync(conn, tx, valid, options.Value.LeaseDuration, ct);
            accepted = valid.Where(o => inserted.Contains(o.Id)).ToList();
            var skipped = valid.Where(o => !inserted.Contains(o.Id)).ToList();
            if (skipped.Count > 0)
            {
                var existing = await OperationStore.FindExistingAsync(conn, tx, skipped, ct);
                var usedByAttempts = await OperationStore.FindUsedExternalIdsAsync(conn, tx, skipped, ct);
                foreach (var op in skipped)
                {
                    var sameKey = existing.FirstOrDefault(e => SameKey(e, op));
                    if (sameKey is not null)
                    {
                        if (sameKey.Fingerprint == op.Fingerprint)
                        {
                            duplicates++;
                            if (IsFinal(sameKey.State))
                            {
                                republish.Add(sameKey);
                            }

                            continue;
                        }

                        rejected.Add(Reject(op, OperationFactory.Conflicts(sameKey, op), now));
                        continue;
                    }

                    var sameExternalId = existing.FirstOrDefault(e => e.Provider == op.Provider && e.ExternalId == op.ExternalId);
                    if (sameExternalId is not null || usedByAttempts.Contains((op.Provider, op.ExternalId)))
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

            var rejectedInserted = rejected.Count == 0 ? [] : await OperationStore.InsertOperationsAsync(conn, tx, rejected, options.Value.LeaseDuration, ct);
            await OperationStore.InsertOutboxAsync(conn, tx,
                rejected.Where(r => rejectedInserted.Contains(r.Id)).Select(r => (OutcomeEvents.For(r, now), (Guid?)r.Id)).ToList(), now, ct);
            var redelivered = rejected.Where(r => !rejectedInserted.Contains(r.Id)).ToList();
            if (redelivered.Count > 0)
            {
                // The same invalid message again (same RequestId): its recorded rejection is published again.
                var earlier = await OperationStore.FindRejectedByRequestIdAsync(conn, tx, redelivered.Select(r => r.RequestId).ToList(), ct);
                republish.AddRange(earlier);
                duplicates += redelivered.Count;
            }

            republish = [.. republish.DistinctBy(o => o.Id)];
            var stillInOutbox = await OperationStore.RepublishOutcomesAsync(conn, tx, [.. republish.Select(o => o.Id)], ct);
            // An outcome older than the outbox retention is rebuilt from the operation row (a new MessageId then).
            await OperationStore.InsertOutboxAsync(conn, tx,
                [.. republish.Where(o => !stillInOutbox.Contains(o.Id)).Select(o => (OutcomeEvents.For(o, now), (Guid?)o.Id))], now, ct);
            var republished = republish.Count;
            await tx.CommitAsync(ct);

            var rejectedCount = rejectedInserted.Count;
            WorkerTelemetry.AcceptBatchSize.Record(incoming.Count);
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

            activity?.SetTag("accepted", accepted.Count);
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
                // Stopping: what was not handed over is left to its lease, which then expires and is claimed.
                foreach (var op in accepted.Skip(handed))
                {
                    leases.Release(op.Id, op.LeaseToken!.Value);
                }

                throw;
            }

            return new AcceptResult(accepted.Count, duplicates, rejectedCount, republished);
        }
    }

    private static Operation Reject(Operation op, IReadOnlyList<RejectionError> errors, DateTimeOffset now)
    {
        var r = op.Copy();
        r.Id = Guid.CreateVersion7(now);
        r.State = OperationState.Rejected;
        r.NextAttemptAt = null;
        r.LeaseOwner = null;
        r.LeaseToken = null;
        r.LeaseUntil = null;
        r.CompletedAt = now;
        r.RejectionErrors = JsonSerializer.Serialize(errors, OperationFactory.Json);
        r.OutcomeMessage = string.Join("; ", errors.Select(e => e.Message));
        if (r.OutcomeMessage.Length > 1000)
        {
            r.OutcomeMessage = r.OutcomeMessage[..1000];
        }

        return r;
    }

    private static bool SameKey(Operation a, Operation b) => a.Kind == b.Kind && a.Provider == b.Provider && (a.Kind == OperationKind.Refund
        ? a.MerchantId == b.MerchantId && a.PartnerRefundNo == b.PartnerRefundNo
        : a.OriginalPartnerReferenceNo == b.OriginalPartnerReferenceNo);

    private static bool IsFinal(OperationState s) => s is OperationState.Succeeded or OperationState.Failed or OperationState.NeedsReview or OperationState.Rejected;

    private static string SortKey(Operation o) => o.Kind == OperationKind.Refund
        ? $"r|{o.Provider}|{o.MerchantId}|{o.PartnerRefundNo}"
        : $"c|{o.Provider}|{o.OriginalPartnerReferenceNo}";
}
