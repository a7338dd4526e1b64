namespace RefundWorker.Snap;

/// <summary>
/// A request field that breaks a provider's table. <see cref="Field"/> is the JSON path
/// (<c>refundAmount.value</c>); <see cref="Rule"/> is machine-readable: <c>mandatory</c>, <c>maxLength:40</c>,
/// <c>amountFormat</c>, <c>positive</c>, <c>numeric</c>, <c>currency</c>, <c>oneOf:1|2</c>,
/// <c>oneOfMandatory:a|b|c</c>.
/// </summary>
public sealed record SnapFieldError(string Field, string Rule, string Message)
{
    public override string ToString() => $"{Field}: {Message} ({Rule})";
}

/// <summary>
/// Checks requests against the providers' tables before anything is sent (docs/protocol.md: provider sections and
/// #amounts): a request the provider would answer 400xx01/02 is cheaper to refuse here, with the field named.
/// </summary>
public static class SnapValidator
{
    // NICEPAY (docs/protocol.md#nicepay-refund): reference numbers are 40 characters; the iMid is 10.
    private const int NicepayReferenceMax = 40;
    private const int NicepayMerchantIdMax = 10;
    private const int NicepayStoreIdMax = 50;

    // SNAP BI's reason length, used by the bank and iFortePay in their tables.
    private const int ReasonMax = 256;

    private static readonly IReadOnlyList<SnapFieldError> None = [];

    /// <summary>NICEPAY QRIS refund.</summary>
    public static IReadOnlyList<SnapFieldError> Validate(NicepayRefundRequest request, AmountFormat amountFormat = AmountFormat.TwoDecimals)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<SnapFieldError>? errors = null;
        Text(ref errors, "originalReferenceNo", request.OriginalReferenceNo, mandatory: true, NicepayReferenceMax);
        Text(ref errors, "originalPartnerReferenceNo", request.OriginalPartnerReferenceNo, mandatory: true, NicepayReferenceMax);
        Text(ref errors, "partnerRefundNo", request.PartnerRefundNo, mandatory: true, NicepayReferenceMax);
        Text(ref errors, "merchantId", request.MerchantId, mandatory: true, NicepayMerchantIdMax);
        Text(ref errors, "externalStoreId", request.ExternalStoreId, mandatory: false, NicepayStoreIdMax);
        Amount(ref errors, "refundAmount", request.RefundAmount, amountFormat, valueMaxLength: null);
        Text(ref errors, "reason", request.Reason, mandatory: false, ReasonMax);

        // cancelType tells NICEPAY whether the refund is full (1) or partial (2); without it NICEPAY rejects.
        string? cancelType = null;
        request.AdditionalInfo?.TryGetValue("cancelType", out cancelType);
        if (string.IsNullOrEmpty(cancelType))
        {
            Add(ref errors, "additionalInfo.cancelType", "mandatory", "is mandatory (\"1\" full, \"2\" partial)");
        }
        else if (cancelType is not ("1" or "2"))
        {
            Add(ref errors, "additionalInfo.cancelType", "oneOf:1|2", "must be \"1\" (full) or \"2\" (partial)");
        }

        return errors ?? None;
    }

    /// <summary>Bank QRIS refund (docs/protocol.md#bank-refund). <paramref name="amountFormat"/>: the profile's.</summary>
    public static IReadOnlyList<SnapFieldError> Validate(BankRefundRequest request, AmountFormat amountFormat = AmountFormat.TwoDecimals)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<SnapFieldError>? errors = null;
        Text(ref errors, "originalPartnerReferenceNo", request.OriginalPartnerReferenceNo, mandatory: false, 50);
        Text(ref errors, "originalReferenceNo", request.OriginalReferenceNo, mandatory: false, 32);
        Text(ref errors, "originalExternalId", request.OriginalExternalId, mandatory: false, 50);

        // Every field naming the original payment is optional in the table, but the bank cannot refund nothing.
        if (string.IsNullOrEmpty(request.OriginalPartnerReferenceNo)
            && string.IsNullOrEmpty(request.OriginalReferenceNo)
            && string.IsNullOrEmpty(request.OriginalExternalId))
        {
            Add(ref errors, "originalReferenceNo", "oneOfMandatory:originalReferenceNo|originalPartnerReferenceNo|originalExternalId",
                "one of originalReferenceNo, originalPartnerReferenceNo or originalExternalId is mandatory");
        }

        Text(ref errors, "partnerRefundNo", request.PartnerRefundNo, mandatory: true, 50);
        Amount(ref errors, "refundAmount", request.RefundAmount, amountFormat, valueMaxLength: 10);
        Text(ref errors, "reason", request.Reason, mandatory: false, ReasonMax);
        return errors ?? None;
    }

    /// <summary>iFortePay QRIS MPM cancel (docs/protocol.md#ifortepay-cancel).</summary>
    public static IReadOnlyList<SnapFieldError> Validate(QrCancelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<SnapFieldError>? errors = null;
        Text(ref errors, "originalPartnerReferenceNo", request.OriginalPartnerReferenceNo, mandatory: true, 64);
        Text(ref errors, "originalReferenceNo", request.OriginalReferenceNo, mandatory: true, 64);
        Text(ref errors, "reason", request.Reason, mandatory: true, ReasonMax);
        if (request.AdditionalInfo is null)
        {
            Add(ref errors, "additionalInfo", "mandatory", "is mandatory");
        }
        else if (string.IsNullOrEmpty(request.AdditionalInfo.Type))
        {
            Add(ref errors, "additionalInfo.type", "mandatory", "is mandatory");
        }
        else if (request.AdditionalInfo.Type != QrCancelAdditionalInfo.DynamicType)
        {
            Add(ref errors, "additionalInfo.type", "oneOf:DYNAMIC", "must be \"DYNAMIC\": iFortePay cancels dynamic QRIS only");
        }

        return errors ?? None;
    }

    /// <summary>QR MPM status query (service 51).</summary>
    public static IReadOnlyList<SnapFieldError> Validate(QrQueryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<SnapFieldError>? errors = null;
        Text(ref errors, "originalReferenceNo", request.OriginalReferenceNo, mandatory: false, 64);
        Text(ref errors, "originalPartnerReferenceNo", request.OriginalPartnerReferenceNo, mandatory: false, 64);
        Text(ref errors, "originalExternalId", request.OriginalExternalId, mandatory: false, 36);
        if (string.IsNullOrEmpty(request.OriginalReferenceNo)
            && string.IsNullOrEmpty(request.OriginalPartnerReferenceNo)
            && string.IsNullOrEmpty(request.OriginalExternalId))
        {
            Add(ref errors, "originalReferenceNo", "oneOfMandatory:originalReferenceNo|originalPartnerReferenceNo|originalExternalId",
                "one of originalReferenceNo, originalPartnerReferenceNo or originalExternalId is mandatory");
        }

        Text(ref errors, "merchantId", request.MerchantId, mandatory: false, 64);
        Text(ref errors, "externalStoreId", request.ExternalStoreId, mandatory: false, 64);
        if (string.IsNullOrEmpty(request.ServiceCode))
        {
            Add(ref errors, "serviceCode", "mandatory", "is mandatory");
        }
        else if (request.ServiceCode.Length != 2 || !IsDigits(request.ServiceCode))
        {
            Add(ref errors, "serviceCode", "numeric", "must be a 2-digit service code (\"47\" for a QR MPM payment)");
        }

        return errors ?? None;
    }

    /// <summary>X-EXTERNAL-ID: mandatory, numeric, at most <paramref name="maxLength"/> digits; docs/protocol.md#external-id.</summary>
    public static IReadOnlyList<SnapFieldError> ValidateExternalId(string? id, int maxLength)
    {
        const string field = "X-EXTERNAL-ID";
        List<SnapFieldError>? errors = null;
        if (string.IsNullOrEmpty(id))
        {
            Add(ref errors, field, "mandatory", "is mandatory");
            return errors!;
        }

        if (!IsDigits(id))
        {
            Add(ref errors, field, "numeric", "must contain digits only");
        }

        if (id.Length > maxLength)
        {
            Add(ref errors, field, $"maxLength:{maxLength}", $"is {id.Length} characters, at most {maxLength} allowed");
        }

        return errors ?? None;
    }

    /// <summary>
    /// An amount object at <paramref name="field"/>: value mandatory, in <paramref name="format"/>, positive;
    /// currency IDR.
    /// </summary>
    public static IReadOnlyList<SnapFieldError> ValidateAmount(SnapAmount? amount, string field, AmountFormat format = AmountFormat.TwoDecimals)
    {
        List<SnapFieldError>? errors = null;
        Amount(ref errors, field, amount, format, valueMaxLength: null);
        return errors ?? None;
    }

    private static void Amount(ref List<SnapFieldError>? errors, string field, SnapAmount? amount, AmountFormat format, int? valueMaxLength)
    {
        if (amount is null)
        {
            Add(ref errors, field, "mandatory", "is mandatory");
            return;
        }

        var valueField = field + ".value";
        var value = amount.Value;
        if (string.IsNullOrEmpty(value))
        {
            Add(ref errors, valueField, "mandatory", "is mandatory");
        }
        else if (!IsAmount(value, format))
        {
            Add(ref errors, valueField, "amountFormat", format == AmountFormat.Integer
                ? $"'{value}' must be whole digits without separators, e.g. \"10000\""
                : $"'{value}' must have exactly two decimals and no separators, e.g. \"10000.00\"");
        }
        else if (IsZero(value))
        {
            Add(ref errors, valueField, "positive", "must be greater than zero");
        }

        if (value is not null && valueMaxLength is int max && value.Length > max)
        {
            Add(ref errors, valueField, $"maxLength:{max}", $"is {value.Length} characters, at most {max} allowed");
        }

        var currencyField = field + ".currency";
        if (string.IsNullOrEmpty(amount.Currency))
        {
            Add(ref errors, currencyField, "mandatory", "is mandatory");
        }
        else if (amount.Currency != SnapAmount.Idr)
        {
            Add(ref errors, currencyField, "currency", $"'{amount.Currency}' is not accepted: QRIS is domestic, the currency is IDR");
        }
    }

    // Digits, then (TwoDecimals) '.' and exactly two digits. No sign, exponent, separator or leading zero
    // ("007.00"), which is what decimal.ToString("0.00", Invariant) produces and providers parse.
    private static bool IsAmount(string value, AmountFormat format)
    {
        var integerPart = value.AsSpan();
        if (format == AmountFormat.TwoDecimals)
        {
            if (value.Length < 4 || value[^3] != '.' || !IsDigits(value.AsSpan(value.Length - 2)))
            {
                return false;
            }

            integerPart = value.AsSpan(0, value.Length - 3);
        }

        return integerPart.Length > 0
            && IsDigits(integerPart)
            && (integerPart.Length == 1 || integerPart[0] != '0');
    }

    private static bool IsZero(string value)
    {
        foreach (var c in value)
        {
            if (c is >= '1' and <= '9')
            {
                return false;
            }
        }

        return true;
    }

    private static void Text(ref List<SnapFieldError>? errors, string field, string? value, bool mandatory, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (mandatory)
            {
                Add(ref errors, field, "mandatory", "is mandatory");
            }

            return;
        }

        if (value.Length > maxLength)
        {
            Add(ref errors, field, $"maxLength:{maxLength}", $"is {value.Length} characters, at most {maxLength} allowed");
        }
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static void Add(ref List<SnapFieldError>? errors, string field, string rule, string message)
        => (errors ??= []).Add(new SnapFieldError(field, rule, $"{field} {message}"));
}
