using System.Globalization;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using RefundWorker.Snap;

namespace RefundWorker.Operations;

/// <summary>
/// Builds the SNAP request bodies of an operation, and validates an incoming request with the SNAP library's rules
/// before anything is recorded as accepted. The same builders serve accept-time validation and every send, so what
/// was validated is what is sent.
/// </summary>
public static class ProviderRequests
{
    /// <summary>The refund body for the provider's profile: NICEPAY's or the bank's.</summary>
    public static object BuildRefund(SnapProvider provider, Operation op)
    {
        var amount = FormatAmount(provider, op);
        var info = OperationFactory.AdditionalInfo(op);
        if (provider.Profile.Name == ProviderProfile.Nicepay)
        {
            return new NicepayRefundRequest
            {
                OriginalReferenceNo = op.OriginalReferenceNo ?? string.Empty,
                OriginalPartnerReferenceNo = op.OriginalPartnerReferenceNo ?? string.Empty,
                PartnerRefundNo = op.PartnerRefundNo ?? string.Empty,
                MerchantId = op.MerchantId ?? string.Empty,
                ExternalStoreId = op.ExternalStoreId,
                RefundAmount = amount,
                Reason = op.Reason,
                AdditionalInfo = info,
            };
        }

        return new BankRefundRequest
        {
            OriginalPartnerReferenceNo = op.OriginalPartnerReferenceNo,
            OriginalReferenceNo = op.OriginalReferenceNo,
            OriginalExternalId = op.OriginalExternalId,
            PartnerRefundNo = op.PartnerRefundNo ?? string.Empty,
            RefundAmount = amount,
            Reason = op.Reason,
            MerchantId = op.MerchantId,
            SubMerchantId = op.SubMerchantId,
            ExternalStoreId = op.ExternalStoreId,
            AdditionalInfo = info,
        };
    }

    public static QrCancelRequest BuildCancel(Operation op)
    {
        var info = OperationFactory.AdditionalInfo(op);
        var type = info is not null && info.TryGetValue("type", out var t) && !string.IsNullOrEmpty(t) ? t : QrCancelAdditionalInfo.DynamicType;
        return new QrCancelRequest
        {
            OriginalPartnerReferenceNo = op.OriginalPartnerReferenceNo ?? string.Empty,
            OriginalReferenceNo = op.OriginalReferenceNo ?? string.Empty,
            Reason = op.Reason ?? string.Empty,
            AdditionalInfo = new QrCancelAdditionalInfo(type),
        };
    }

    /// <summary>The status query about the original payment of the operation.</summary>
    public static QrQueryRequest BuildQuery(Operation op) => new()
    {
        OriginalReferenceNo = op.OriginalReferenceNo,
        OriginalPartnerReferenceNo = op.OriginalPartnerReferenceNo,
        OriginalExternalId = op.OriginalExternalId,
        MerchantId = op.MerchantId,
        ExternalStoreId = op.ExternalStoreId,
    };

    /// <summary>
    /// Every reason the request cannot be sent or recorded, one per field or rule (empty when it is valid): the
    /// provider's table, then what the columns can store (<see cref="RequestStorageRules"/>). Names SNAP fields by
    /// their JSON path and message fields by their contract name (<c>provider</c>, <c>currency</c>).
    /// </summary>
    public static IReadOnlyList<RejectionError> Validate(SnapProviderRegistry providers, Operation op)
    {
        var errors = ValidateForProvider(providers, op);
        RequestStorageRules.AddErrors(op, errors);
        return errors;
    }

    private static List<RejectionError> ValidateForProvider(SnapProviderRegistry providers, Operation op)
    {
        var errors = new List<RejectionError>();
        if (op.RequestId == Guid.Empty)
        {
            errors.Add(new RejectionError("requestId", "mandatory", "requestId is mandatory."));
        }

        if (!providers.TryGet(op.Provider, out var provider))
        {
            errors.Add(new RejectionError("provider", "unknownProvider",
                $"No provider '{op.Provider}' is configured; configured: {string.Join(", ", providers.All.Select(p => p.Name))}."));
            return errors;
        }

        // Keys are stored with the configured spelling of the provider name, so "NICEPAY" and "nicepay" are one key;
        // the fingerprint covers the name, so it is computed again when the spelling changed (or was never computed).
        if (!string.Equals(op.Provider, provider.Name, StringComparison.Ordinal) || op.Fingerprint.Length == 0)
        {
            op.Provider = provider.Name;
            op.Fingerprint = OperationFactory.Fingerprint(op);
        }

        foreach (var e in SnapValidator.ValidateExternalId(op.ExternalId, provider.ExternalIdMaxLength))
        {
            errors.Add(new RejectionError("externalId", e.Rule, $"externalId (X-EXTERNAL-ID) {e.Message}."));
        }

        if (op.Kind == OperationKind.Refund)
        {
            if (provider.RefundEndpoint is null)
            {
                errors.Add(new RejectionError("provider", "unsupportedOperation", $"Provider '{provider.Name}' ({provider.Profile.Name}) has no refund API."));
                return errors;
            }

            if (string.IsNullOrWhiteSpace(op.MerchantId))
            {
                errors.Add(new RejectionError("merchantId", "mandatory", "merchantId is mandatory: it is part of the refund's key."));
            }

            if (!string.Equals(op.Currency, SnapAmount.Idr, StringComparison.Ordinal))
            {
                errors.Add(new RejectionError("refundAmount.currency", "currency", $"QRIS is domestic: the currency must be IDR (was '{op.Currency}')."));
            }

            var scale = provider.AmountFormat == AmountFormat.Integer ? 0 : 2;
            if (op.Amount is not { } amount || decimal.Round(amount, scale) != amount)
            {
                errors.Add(new RejectionError("refundAmount.value", "amountFormat",
                    $"The amount {op.Amount?.ToString(CultureInfo.InvariantCulture)} has more than {scale} decimal places."));
                return errors;
            }

            var request = BuildRefund(provider, op);
            var fieldErrors = request is NicepayRefundRequest n
                ? SnapValidator.Validate(n, provider.AmountFormat)
                : SnapValidator.Validate((BankRefundRequest)request, provider.AmountFormat);
            errors.AddRange(fieldErrors.Where(e => e.Field != "refundAmount.currency" || errors.All(x => x.Field != e.Field))
                .Select(e => new RejectionError(e.Field, e.Rule, $"{e.Field} {e.Message}.")));
        }
        else
        {
            if (provider.CancelEndpoint is null)
            {
                errors.Add(new RejectionError("provider", "unsupportedOperation", $"Provider '{provider.Name}' ({provider.Profile.Name}) has no cancel API."));
                return errors;
            }

            errors.AddRange(SnapValidator.Validate(BuildCancel(op)).Select(e => new RejectionError(e.Field, e.Rule, $"{e.Field} {e.Message}.")));
        }

        return errors;
    }

    private static SnapAmount FormatAmount(SnapProvider provider, Operation op)
    {
        var amount = op.Amount ?? 0m;
        var scale = provider.AmountFormat == AmountFormat.Integer ? 0 : 2;
        // Validation refuses amounts the format cannot carry; rounding here only guards the builder against throwing.
        return SnapAmount.From(decimal.Round(amount, scale), op.Currency ?? SnapAmount.Idr, provider.AmountFormat);
    }
}
