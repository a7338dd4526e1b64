using System.Globalization;
using System.Text.Json;
using RefundWorker.Contracts;
using RefundWorker.Persistence;
using Columns = RefundWorker.Persistence.ColumnSizes.Operations;

namespace RefundWorker.Operations;

/// <summary>
/// The rules a request must meet to be recorded, beside the providers' tables (<see cref="ProviderRequests"/>):
/// every string fits its column and carries no control character or broken UTF-16, the amount fits
/// <c>numeric(20,2)</c>, and <c>additionalInfo</c> stays small. A request that breaks one is rejected with the field
/// and the rule named, before any insert, so PostgreSQL never refuses a batch because of it. And
/// <see cref="ForStorage"/> makes the rejected row itself storable: a rejection is recorded too.
/// </summary>
public static class RequestStorageRules
{
    /// <summary>
    /// The providers' tables give <c>additionalInfo</c> no size; what they define (<c>cancelType</c>,
    /// <c>deviceId</c>, <c>channel</c>, <c>type</c>) is a few short entries. These bounds keep a request from
    /// carrying megabytes to a provider and into <c>operations.additional_info</c>.
    /// </summary>
    public const int AdditionalInfoMaxEntries = 20;

    public const int AdditionalInfoKeyMaxLength = 64;

    public const int AdditionalInfoValueMaxLength = 512;

    /// <summary>Of the stored JSON, in characters.</summary>
    public const int AdditionalInfoMaxSize = 4096;

    public const string ControlCharactersRule = "controlCharacters";
    public const string InvalidUnicodeRule = "invalidUnicode";

    /// <summary>Adds to <paramref name="errors"/> what the provider rules did not already name.</summary>
    public static void AddErrors(Operation op, List<RejectionError> errors)
    {
        if (op.Kind == OperationKind.Refund)
        {
            Text(errors, "merchantId", op.MerchantId, Columns.MerchantId);
            Text(errors, "partnerRefundNo", op.PartnerRefundNo, Columns.PartnerRefundNo);
            Text(errors, "externalId", op.ExternalId, Columns.ExternalId);
            Text(errors, "originalReferenceNo", op.OriginalReferenceNo, Columns.OriginalReferenceNo);
            Text(errors, "originalPartnerReferenceNo", op.OriginalPartnerReferenceNo, Columns.OriginalPartnerReferenceNo);
            Text(errors, "originalExternalId", op.OriginalExternalId, Columns.OriginalExternalId);
            Text(errors, "externalStoreId", op.ExternalStoreId, Columns.ExternalStoreId);
            Text(errors, "subMerchantId", op.SubMerchantId, Columns.SubMerchantId);
            Text(errors, "reason", op.Reason, maxLength: null);
            Amount(errors, op.Amount);
        }
        else
        {
            Text(errors, "merchantId", op.MerchantId, Columns.MerchantId);
            Text(errors, "externalId", op.ExternalId, Columns.ExternalId);
            Text(errors, "originalReferenceNo", op.OriginalReferenceNo, Columns.OriginalReferenceNo);
            Text(errors, "originalPartnerReferenceNo", op.OriginalPartnerReferenceNo, Columns.OriginalPartnerReferenceNo);
            Text(errors, "reason", op.Reason, maxLength: null);
        }

        AdditionalInfo(errors, op.AdditionalInfo);
    }

    /// <summary>
    /// Makes a rejected row storable in place: strings cleaned (<see cref="StorageText.Clean"/>) and cut to their
    /// columns, an amount <c>numeric(20,2)</c> cannot hold exactly left out (the rejection names it), an
    /// <c>additionalInfo</c> cleaned or left out. The outcome event is built from this row, so it carries the same.
    /// </summary>
    public static void ForStorage(Operation r)
    {
        r.Provider = StorageText.Clean(r.Provider, Columns.Provider);
        r.MerchantId = StorageText.CleanOrNull(r.MerchantId, Columns.MerchantId);
        r.PartnerRefundNo = StorageText.CleanOrNull(r.PartnerRefundNo, Columns.PartnerRefundNo);
        r.ExternalId = StorageText.Clean(r.ExternalId, Columns.ExternalId);
        r.OriginalReferenceNo = StorageText.CleanOrNull(r.OriginalReferenceNo, Columns.OriginalReferenceNo);
        r.OriginalPartnerReferenceNo = StorageText.CleanOrNull(r.OriginalPartnerReferenceNo, Columns.OriginalPartnerReferenceNo);
        r.OriginalExternalId = StorageText.CleanOrNull(r.OriginalExternalId, Columns.OriginalExternalId);
        r.ExternalStoreId = StorageText.CleanOrNull(r.ExternalStoreId, Columns.ExternalStoreId);
        r.SubMerchantId = StorageText.CleanOrNull(r.SubMerchantId, Columns.SubMerchantId);
        r.Currency = StorageText.CleanOrNull(r.Currency, Columns.Currency);
        r.Reason = StorageText.CleanOrNull(r.Reason, Columns.FreeText);
        if (r.Amount is { } amount && !FitsAmountColumn(amount))
        {
            r.Amount = null;
        }

        r.AdditionalInfo = StorableAdditionalInfo(r.AdditionalInfo);
    }

    /// <summary>The errors as they are stored and published: cleaned and bounded (a message may quote the value).</summary>
    public static List<RejectionError> ForStorage(IEnumerable<RejectionError> errors)
        => [.. errors.Select(e => new RejectionError(StorageText.Clean(e.Field, 128), StorageText.Clean(e.Rule, 128), StorageText.Clean(e.Message, 500)))];

    /// <summary>Whether <c>numeric(20,2)</c> holds <paramref name="amount"/> exactly (PostgreSQL would round a third
    /// decimal silently and refuse a 19th integer digit).</summary>
    public static bool FitsAmountColumn(decimal amount)
        => Math.Abs(amount) <= ColumnSizes.Operations.AmountMax && decimal.Round(amount, ColumnSizes.Operations.AmountScale) == amount;

    private static void Text(List<RejectionError> errors, string field, string? value, int? maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        var control = StorageText.IndexOfControlCharacter(value);
        if (control >= 0)
        {
            errors.Add(new RejectionError(field, ControlCharactersRule,
                $"{field} contains the control character U+{(int)value[control]:X4} at position {control + 1}; no provider field accepts control characters."));
        }

        var surrogate = StorageText.IndexOfUnpairedSurrogate(value);
        if (surrogate >= 0)
        {
            errors.Add(new RejectionError(field, InvalidUnicodeRule, $"{field} contains an unpaired UTF-16 surrogate at position {surrogate + 1}."));
        }

        // The provider's table usually names a shorter limit already; the column's is added only when it did not.
        if (maxLength is int max && value.Length > max && !HasMaxLengthError(errors, field))
        {
            errors.Add(new RejectionError(field, $"maxLength:{max}", $"{field} is {value.Length} characters, at most {max} can be recorded."));
        }
    }

    // A loop, not errors.Any(lambda): the lambda's closure over field was allocated on every call to Text, for
    // every text field of every request, though the check runs only for the rare over-long value.
    private static bool HasMaxLengthError(List<RejectionError> errors, string field)
    {
        foreach (var e in errors)
        {
            if (e.Field == field && e.Rule.StartsWith("maxLength:", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void Amount(List<RejectionError> errors, decimal? amount)
    {
        const string field = "refundAmount.value";
        if (amount is not { } a || Math.Abs(a) <= ColumnSizes.Operations.AmountMax || errors.Any(e => e.Field == field))
        {
            return;
        }

        var max = ColumnSizes.Operations.AmountMax.ToString(CultureInfo.InvariantCulture);
        errors.Add(new RejectionError(field, $"maxValue:{max}",
            $"{field} {a.ToString(CultureInfo.InvariantCulture)} is above {max}, the largest amount that can be recorded."));
    }

    private static void AdditionalInfo(List<RejectionError> errors, string? json)
    {
        const string field = "additionalInfo";
        if (json is null)
        {
            return;
        }

        // The contract makes additionalInfo a flat map of strings: a nested object never gets here (the message
        // cannot be read, and MassTransit faults it alone), so its size and entries are what is left to bound.
        var info = Parse(json);
        if (info is null)
        {
            errors.Add(new RejectionError(field, "format", $"{field} must be an object of strings."));
            return;
        }

        if (info.Count > AdditionalInfoMaxEntries)
        {
            errors.Add(new RejectionError(field, $"maxEntries:{AdditionalInfoMaxEntries}", $"{field} has {info.Count} entries, at most {AdditionalInfoMaxEntries} allowed."));
        }

        if (json.Length > AdditionalInfoMaxSize)
        {
            errors.Add(new RejectionError(field, $"maxSize:{AdditionalInfoMaxSize}", $"{field} is {json.Length} characters as JSON, at most {AdditionalInfoMaxSize} allowed."));
        }

        foreach (var (key, value) in info)
        {
            var keyIsClean = StorageText.IndexOfControlCharacter(key) < 0 && StorageText.IndexOfUnpairedSurrogate(key) < 0;
            if (!keyIsClean)
            {
                errors.Add(new RejectionError(field, StorageText.IndexOfControlCharacter(key) >= 0 ? ControlCharactersRule : InvalidUnicodeRule,
                    $"A key of {field} contains a control character or broken UTF-16."));
            }

            if (key.Length is 0 or > AdditionalInfoKeyMaxLength)
            {
                errors.Add(new RejectionError(field, $"keyLength:1-{AdditionalInfoKeyMaxLength}", $"Every key of {field} must be 1 to {AdditionalInfoKeyMaxLength} characters."));
            }

            // The entry is named by its key when the key itself is fit to appear in a field name.
            var entry = keyIsClean && key.Length is > 0 and <= AdditionalInfoKeyMaxLength ? $"{field}.{key}" : field;
            Text(errors, entry, value, AdditionalInfoValueMaxLength);
        }
    }

    private static string? StorableAdditionalInfo(string? json)
    {
        if (json is null)
        {
            return null;
        }

        var checks = new List<RejectionError>();
        AdditionalInfo(checks, json);
        if (checks.Count == 0)
        {
            return json;
        }

        var info = Parse(json);
        if (info is null)
        {
            return null;
        }

        var cleaned = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in info.Take(AdditionalInfoMaxEntries))
        {
            cleaned.TryAdd(StorageText.Clean(key, AdditionalInfoKeyMaxLength), StorageText.CleanOrNull(value, AdditionalInfoValueMaxLength));
        }

        var stored = JsonSerializer.Serialize(cleaned, OperationFactory.Json);
        return stored.Length <= AdditionalInfoMaxSize ? stored : null;
    }

    private static Dictionary<string, string?>? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string?>>(json, OperationFactory.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
