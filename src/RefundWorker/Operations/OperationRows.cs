using Npgsql;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>How an operation row is selected and read back, shared by every stage's statements.</summary>
internal static class OperationRows
{
    private static readonly string[] ColumnNames =
    [
        "id", "kind", "request_id", "provider", "merchant_id", "partner_refund_no", "external_id", "external_id_date", "original_reference_no",
        "original_partner_reference_no", "original_external_id", "external_store_id", "sub_merchant_id", "amount", "currency",
        "reason", "additional_info", "fingerprint", "state", "attempts", "queries", "next_attempt_at", "lease_owner", "lease_token",
        "lease_until", "created_at", "updated_at", "completed_at", "response_code", "error_code", "outcome_message", "reference_no",
        "outcome_time", "rejection_errors", "trace_parent",
    ];

    /// <summary>The select list of an operation row, unqualified.</summary>
    public static readonly string SelectList = Select(string.Empty);

    /// <summary>The select list of an operation row; jsonb columns come back as text.</summary>
    public static string Select(string alias)
        => string.Join(", ", ColumnNames.Select(c => c is "additional_info" or "rejection_errors" ? $"{alias}{c}::text AS {c}" : alias + c));

    public static async Task<List<Operation>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var result = new List<Operation>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var cols = new Reader(reader);
        while (await reader.ReadAsync(ct))
        {
            result.Add(cols.Read(reader));
        }

        return result;
    }

    /// <summary>Column ordinals resolved once per result set.</summary>
    public sealed class Reader(NpgsqlDataReader r)
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
