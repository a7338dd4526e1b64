using System.Diagnostics.CodeAnalysis;

namespace RefundWorker.Snap;

/// <summary>
/// A SNAP <c>responseCode</c>: 7 digits = HTTP status (3) + service code (2) + case code (2), e.g. <c>2007800</c>
/// (docs/protocol.md#response-codes).
/// </summary>
public readonly record struct ResponseCode(int HttpStatus, int ServiceCode, int CaseCode)
{
    /// <summary>Builds a code from its parts.</summary>
    public static ResponseCode Of(int httpStatus, int serviceCode, int caseCode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(httpStatus, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(httpStatus, 999);
        ArgumentOutOfRangeException.ThrowIfNegative(serviceCode);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(serviceCode, 99);
        ArgumentOutOfRangeException.ThrowIfNegative(caseCode);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(caseCode, 99);
        return new ResponseCode(httpStatus, serviceCode, caseCode);
    }

    /// <summary>Parses exactly 7 ASCII digits (surrounding whitespace is tolerated).</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out ResponseCode code)
    {
        code = default;
        if (value is null)
        {
            return false;
        }

        var s = value.AsSpan().Trim();
        if (s.Length != 7)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        var http = ((s[0] - '0') * 100) + ((s[1] - '0') * 10) + (s[2] - '0');
        if (http < 100)
        {
            return false;
        }

        code = new ResponseCode(http, ((s[3] - '0') * 10) + (s[4] - '0'), ((s[5] - '0') * 10) + (s[6] - '0'));
        return true;
    }

    /// <summary>Parses a code or throws <see cref="FormatException"/>.</summary>
    public static ResponseCode Parse(string value)
        => TryParse(value, out var code) ? code : throw new FormatException($"'{value}' is not a 7-digit SNAP responseCode.");

    /// <summary>The 7-digit form, e.g. <c>2007800</c>.</summary>
    public override string ToString()
        => string.Create(7, this, static (span, c) =>
        {
            span[0] = (char)('0' + (c.HttpStatus / 100 % 10));
            span[1] = (char)('0' + (c.HttpStatus / 10 % 10));
            span[2] = (char)('0' + (c.HttpStatus % 10));
            span[3] = (char)('0' + (c.ServiceCode / 10 % 10));
            span[4] = (char)('0' + (c.ServiceCode % 10));
            span[5] = (char)('0' + (c.CaseCode / 10 % 10));
            span[6] = (char)('0' + (c.CaseCode % 10));
        });
}
