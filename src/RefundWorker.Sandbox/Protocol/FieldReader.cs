using System.Globalization;
using System.Text.Json;

namespace RefundWorker.Sandbox;

/// <summary>
/// Reads request fields the way the providers' tables define them (M/O, length) and remembers the first
/// violation, answered as SNAP does: <c>400xx02 Invalid Mandatory Field {path}</c> for a missing or empty
/// mandatory field, <c>400xx01 Invalid Field Format {path}</c> for a wrong type, length or format.
/// </summary>
internal sealed class FieldReader
{
    public int ErrorCase { get; private set; } = -1;

    public string? ErrorField { get; private set; }

    public bool Failed => ErrorCase >= 0;

    public string? String(JsonElement parent, string name, string path, bool mandatory, int maxLength)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (mandatory)
            {
                Fail(2, path);
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(1, path);
            return null;
        }

        var s = value.GetString()!;
        if (s.Length == 0)
        {
            if (mandatory)
            {
                Fail(2, path);
            }

            return null;
        }

        if (s.Length > maxLength)
        {
            Fail(1, path);
            return null;
        }

        return s;
    }

    public JsonElement? Object(JsonElement parent, string name, string path, bool mandatory)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (mandatory)
            {
                Fail(2, path);
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Fail(1, path);
            return null;
        }

        return value;
    }

    /// <summary>
    /// <c>{ value, currency }</c>: value positive, in the profile's form (<c>"10000.00"</c> or <c>"10000"</c>),
    /// no sign, no thousands separator, no leading zeros; currency IDR (QRIS is domestic, docs/protocol.md#amounts).
    /// </summary>
    public (decimal Amount, string Value, string Currency)? Amount(JsonElement parent, string name, bool mandatory, AmountFormatRule rule, int maxValueLength)
    {
        var amount = Object(parent, name, name, mandatory);
        if (amount is null)
        {
            return null;
        }

        var value = String(amount.Value, "value", name + ".value", mandatory: true, maxValueLength);
        var currency = String(amount.Value, "currency", name + ".currency", mandatory: true, 3);
        if (value is null || currency is null)
        {
            return null;
        }

        if (!IsAmount(value, rule) || !decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed) || parsed <= 0)
        {
            Fail(1, name + ".value");
            return null;
        }

        if (currency != "IDR")
        {
            Fail(1, name + ".currency");
            return null;
        }

        return (parsed, value, currency);
    }

    public void Fail(int caseCode, string field)
    {
        if (!Failed)
        {
            ErrorCase = caseCode;
            ErrorField = field;
        }
    }

    private static bool IsAmount(string s, AmountFormatRule rule)
    {
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        var integer = dot < 0 ? s : s[..dot];
        if (integer.Length == 0 || !integer.All(char.IsAsciiDigit) || (integer.Length > 1 && integer[0] == '0'))
        {
            return false;
        }

        if (dot < 0)
        {
            return rule != AmountFormatRule.TwoDecimals;
        }

        var fraction = s[(dot + 1)..];
        return rule != AmountFormatRule.Integer && fraction.Length == 2 && fraction.All(char.IsAsciiDigit);
    }
}
