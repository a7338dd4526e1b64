using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RefundWorker.Contracts;
using RefundWorker.Persistence;

namespace RefundWorker.Operations;

/// <summary>Maps request messages onto <see cref="Operation"/> rows, with the fingerprint that defines "the same request".</summary>
public static class OperationFactory
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Operation FromMessage(RefundRequested m, DateTimeOffset now)
    {
        var op = new Operation
        {
            Id = BufferedGuids.NewVersion7(now),
            Kind = OperationKind.Refund,
            RequestId = m.RequestId,
            Provider = (m.Provider ?? string.Empty).Trim(),
            MerchantId = m.MerchantId,
            PartnerRefundNo = m.PartnerRefundNo,
            ExternalId = m.ExternalId ?? string.Empty,
            OriginalReferenceNo = m.OriginalReferenceNo,
            OriginalPartnerReferenceNo = m.OriginalPartnerReferenceNo,
            OriginalExternalId = m.OriginalExternalId,
            ExternalStoreId = m.ExternalStoreId,
            SubMerchantId = m.SubMerchantId,
            Amount = m.Amount,
            Currency = string.IsNullOrEmpty(m.Currency) ? "IDR" : m.Currency,
            Reason = m.Reason,
            AdditionalInfo = m.AdditionalInfo is { Count: > 0 } ? JsonSerializer.Serialize(m.AdditionalInfo, Json) : null,
            ExternalIdDate = ExternalIdDay.Of(now),
            CreatedAt = now,
            UpdatedAt = now,
        };
        op.Fingerprint = Fingerprint(op);
        return op;
    }

    public static Operation FromMessage(CancelRequested m, DateTimeOffset now)
    {
        var op = new Operation
        {
            Id = BufferedGuids.NewVersion7(now),
            Kind = OperationKind.Cancel,
            RequestId = m.RequestId,
            Provider = (m.Provider ?? string.Empty).Trim(),
            MerchantId = m.MerchantId,
            ExternalId = m.ExternalId ?? string.Empty,
            OriginalReferenceNo = m.OriginalReferenceNo,
            OriginalPartnerReferenceNo = m.OriginalPartnerReferenceNo,
            Reason = m.Reason,
            AdditionalInfo = m.AdditionalInfo is { Count: > 0 } ? JsonSerializer.Serialize(m.AdditionalInfo, Json) : null,
            ExternalIdDate = ExternalIdDay.Of(now),
            CreatedAt = now,
            UpdatedAt = now,
        };
        op.Fingerprint = Fingerprint(op);
        return op;
    }

    /// <summary>
    /// SHA-256 over what makes two requests for one key "the same": amount, currency, original transaction and
    /// merchant (README, Idempotency). Reason, ExternalId and RequestId are left out: a re-publication with a fresh
    /// ExternalId is still a duplicate, not a second refund.
    /// </summary>
    public static string Fingerprint(Operation op)
    {
        // The fields joined by U+001F, as UTF-8, SHA-256, lower-case hex. Stored fingerprints are compared with new
        // ones, so these bytes must never change. Every accepted request computes one, so the fields are encoded one
        // after the other into one buffer rather than through a joined string and its byte array (same bytes: the
        // separator keeps a lone surrogate at the end of a field from pairing with the next field's first character).
        ReadOnlySpan<string?> fields =
        [
            op.Kind == OperationKind.Refund ? "refund" : "cancel",
            op.Provider,
            op.MerchantId,
            op.PartnerRefundNo,
            op.OriginalReferenceNo,
            op.OriginalPartnerReferenceNo,
            op.OriginalExternalId,
            op.Amount?.ToString("0.00########", CultureInfo.InvariantCulture),
            op.Currency,
        ];
        var max = fields.Length;
        foreach (var field in fields)
        {
            max += Encoding.UTF8.GetMaxByteCount(field?.Length ?? 0);
        }

        const int StackLimit = 1024;
        byte[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = 0;
            for (var i = 0; i < fields.Length; i++)
            {
                if (i > 0)
                {
                    buffer[length++] = 0x1F;
                }

                length += Encoding.UTF8.GetBytes(fields[i] ?? string.Empty, buffer[length..]);
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..length], hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The fields of <paramref name="incoming"/> that differ from <paramref name="existing"/> (same key).</summary>
    public static IReadOnlyList<RejectionError> Conflicts(Operation existing, Operation incoming)
    {
        var errors = new List<RejectionError>();
        var key = KeyText(existing);
        void Compare(string field, string? before, string? now)
        {
            if (!string.Equals(before ?? string.Empty, now ?? string.Empty, StringComparison.Ordinal))
            {
                errors.Add(new RejectionError(field, "conflict",
                    $"{key} was already requested with {field} '{before}'; this request has '{now}'."));
            }
        }

        Compare("amount", existing.Amount?.ToString("0.00########", CultureInfo.InvariantCulture), incoming.Amount?.ToString("0.00########", CultureInfo.InvariantCulture));
        Compare("currency", existing.Currency, incoming.Currency);
        Compare("merchantId", existing.MerchantId, incoming.MerchantId);
        Compare("originalReferenceNo", existing.OriginalReferenceNo, incoming.OriginalReferenceNo);
        Compare("originalPartnerReferenceNo", existing.OriginalPartnerReferenceNo, incoming.OriginalPartnerReferenceNo);
        Compare("originalExternalId", existing.OriginalExternalId, incoming.OriginalExternalId);
        if (errors.Count == 0)
        {
            errors.Add(new RejectionError("request", "conflict", $"{key} was already requested with different content."));
        }

        return errors;
    }

    /// <summary>The operation's key as people read it (<see cref="OperationKey"/>).</summary>
    public static string KeyText(Operation op) => OperationKey.Of(op).ToString();

    /// <summary>The request's additionalInfo, a new dictionary (ordinal keys) on every call, so a provider request's
    /// body can take it as it is.</summary>
    public static Dictionary<string, string>? AdditionalInfo(Operation op)
        => op.AdditionalInfo is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(op.AdditionalInfo, Json);
}
