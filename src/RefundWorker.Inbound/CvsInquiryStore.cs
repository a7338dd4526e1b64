using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using RefundWorker.Contracts;
using RefundWorker.Inbound.Persistence;
using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>
/// Answers a validated inquiry from PostgreSQL, in one transaction that also claims the X-EXTERNAL-ID, records the
/// answer under inquiryRequestId and writes <see cref="CvsInquiryAnswered"/> to the outbox. Replays and races are
/// settled by unique keys (ON CONFLICT), never by reading first and hoping.
/// </summary>
public sealed class CvsInquiryStore(DbContext db, IInboundOutbox outbox, TimeProvider time, ILogger<CvsInquiryStore> logger)
{
    private const int Service = ServiceCodes.CvsInquiry;

    /// <summary>NICEPAY's sample answers success with <c>2000000</c>; kept as shown (see <see cref="InboundErrors"/>).</summary>
    private static readonly ResponseCode Success = ResponseCode.Of(200, 0, 0);

    public async Task<SnapAnswer> AnswerAsync(InboundPartner partner, string externalId, CvsInquiryRequest request, CancellationToken ct)
    {
        var fingerprint = Fingerprint(partner.Name, request);
        // Transient failures (no connection, pool exhausted, connection lost, 40001/40P01) run the whole
        // transaction again (InboundRetry); a retry starts from a clean change tracker so the outbox row is not added twice.
        return await new InboundRetry(db, logger).ExecuteAsync(
            (partner, externalId, request, fingerprint),
            async (_, state, token) =>
            {
                db.ChangeTracker.Clear();
                return await AnswerInTransactionAsync(state.partner, state.externalId, state.request, state.fingerprint, token);
            },
            verifySucceeded: null,
            ct);
    }

    private async Task<SnapAnswer> AnswerInTransactionAsync(InboundPartner partner, string externalId, CvsInquiryRequest request, string fingerprint, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);

        // 1. X-EXTERNAL-ID: unique per partner per Jakarta day. The same id with the same inquiryRequestId is the
        //    partner retransmitting one request (e.g. after a timeout): it gets the recorded answer, not 409xx00.
        var businessDate = InboundClock.JakartaDate(now);
        var claimed = await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO inbound_external_ids (partner_name, business_date, external_id, inquiry_request_id, received_at)
            VALUES ({partner.Name}, {businessDate}, {externalId}, {request.InquiryRequestId}, {now})
            ON CONFLICT DO NOTHING
            """,
            ct);
        if (claimed == 0)
        {
            var owner = await db.Set<InboundExternalId>()
                .AsNoTracking()
                .Where(e => e.PartnerName == partner.Name && e.BusinessDate == businessDate && e.ExternalId == externalId)
                .Select(e => e.InquiryRequestId)
                .FirstAsync(ct);
            if (owner != request.InquiryRequestId)
            {
                await transaction.CommitAsync(ct);
                return InboundErrors.ExternalIdConflict(Service);
            }
        }

        // 2. A recorded answer for this inquiryRequestId is the answer, byte for byte.
        var previous = await FindAsync(request.InquiryRequestId, ct);
        if (previous is not null)
        {
            await transaction.CommitAsync(ct);
            return Replay(previous, fingerprint);
        }

        // 3. Decide from the payment code as the order system last described it.
        var code = await db.Set<CvsPaymentCode>().AsNoTracking().FirstOrDefaultAsync(c => c.PayNo == request.PayNo, ct);
        var closure = await db.Set<CvsPaymentCodeClosure>().AsNoTracking().FirstOrDefaultAsync(c => c.PayNo == request.PayNo, ct);
        var answer = Decide(request, code, closure, now);

        // 4. Record it. A concurrent twin with the same inquiryRequestId blocks here until it commits, then this
        //    insert does nothing and the twin's answer is returned: one record, one event.
        var body = Encoding.UTF8.GetString(answer.Body);
        var responseCode = answer.Code.ToString();
        var recorded = await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO cvs_inquiries
              (inquiry_request_id, partner_name, request_fingerprint, pay_no, external_id, http_status, response_code, response_body, answered_at)
            VALUES
              ({request.InquiryRequestId}, {partner.Name}, {fingerprint}, {request.PayNo}, {externalId}, {answer.HttpStatus}, {responseCode}, {body}, {now})
            ON CONFLICT (inquiry_request_id) DO NOTHING
            """,
            ct);
        if (recorded == 0)
        {
            var twin = await FindAsync(request.InquiryRequestId, ct)
                ?? throw new InquiryRecordMissingException();
            await transaction.CommitAsync(ct);
            return Replay(twin, fingerprint);
        }

        // 5. The event leaves through the outbox, committed with the record or not at all.
        var success = answer.Code == Success;
        await outbox.PublishAsync(
            new CvsInquiryAnswered
            {
                InquiryRequestId = request.InquiryRequestId,
                PartnerServiceId = request.PartnerServiceId,
                CustomerNo = request.CustomerNo,
                PayNo = request.PayNo,
                MitraCd = request.MitraCd,
                ResponseCode = responseCode,
                PartnerReferenceNo = success ? code!.PartnerReferenceNo : null,
                Amount = success ? code!.Amount : null,
                Currency = success ? code!.Currency : null,
                AnsweredAt = now,
            },
            ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return answer;
    }

    /// <summary>
    /// The business answer. Refusals about the code itself (404xx12, 404xx19) are answers too: they are recorded and
    /// published like a success, so a replay of the inquiry gets the same refusal.
    /// </summary>
    internal static SnapAnswer Decide(CvsInquiryRequest request, CvsPaymentCode? code, CvsPaymentCodeClosure? closure, DateTimeOffset now)
    {
        if (code is null)
        {
            // A Closed that overtook its Issued: the code existed, and is closed.
            return closure is null
                ? InboundErrors.InvalidBill(Service, "Not Found")
                : InboundErrors.BillExpired(Service, $"Closed: {closure.Reason}");
        }

        if (code.PartnerServiceId != request.PartnerServiceId || code.CustomerNo != request.CustomerNo)
        {
            return InboundErrors.InvalidBill(Service, "partnerServiceId/customerNo do not match payNo");
        }

        // The order system may restrict a code to one store chain (CvsPaymentCodeIssued.MitraCd); null means any chain.
        if (code.MitraCd is not null && !string.Equals(code.MitraCd, request.MitraCd, StringComparison.OrdinalIgnoreCase))
        {
            return InboundErrors.InvalidBill(Service, $"Not payable at mitraCd {request.MitraCd}");
        }

        if (closure is not null)
        {
            return InboundErrors.BillExpired(Service, $"Closed: {closure.Reason}");
        }

        if (code.ExpiresAt <= now)
        {
            return InboundErrors.BillExpired(Service, "Expired");
        }

        var response = new CvsInquiryResponse(
            Success.ToString(),
            "Successful",
            new PayNoData(
                code.PartnerServiceId,
                code.CustomerNo,
                code.PayNo,
                code.PayNoName,
                code.GoodsName,
                // Mandatory in NICEPAY's table but optional in the contract: an empty string keeps the field present.
                code.PayNoPhone ?? "",
                code.PayNoEmail ?? "",
                request.InquiryRequestId,
                InquiryAmount.From(code.Amount, code.Currency),
                code.PartnerReferenceNo,
                request.MitraCd,
                SnapTimestamp.Format(code.ExpiresAt)));
        return new SnapAnswer(200, Success, SnapJson.Serialize(response));
    }

    private Task<CvsInquiry?> FindAsync(string inquiryRequestId, CancellationToken ct)
        => db.Set<CvsInquiry>().AsNoTracking().FirstOrDefaultAsync(i => i.InquiryRequestId == inquiryRequestId, ct);

    private static SnapAnswer Replay(CvsInquiry previous, string fingerprint)
        => string.Equals(previous.RequestFingerprint, fingerprint, StringComparison.Ordinal)
            ? new SnapAnswer(previous.HttpStatus, ResponseCode.Parse(previous.ResponseCode), Encoding.UTF8.GetBytes(previous.ResponseBody))
            : InboundErrors.DuplicateInquiryRequestId(Service);

    /// <summary>Who asked and about what: a replay must be the same question, not only the same id.</summary>
    internal static string Fingerprint(string partnerName, CvsInquiryRequest r)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', partnerName, r.PartnerServiceId, r.CustomerNo, r.PayNo, r.MitraCd, r.InquiryRequestId))));
}
