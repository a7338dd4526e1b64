using System.Globalization;

namespace RefundWorker.Snap;

/// <summary>How an amount's <c>value</c> string is written (docs/protocol.md#amounts).</summary>
public enum AmountFormat
{
    /// <summary><c>"10000.00"</c>: exactly two decimals, no separators. The SNAP norm.</summary>
    TwoDecimals,

    /// <summary><c>"10000"</c>: whole rupiah, as in the bank's sample request.</summary>
    Integer,
}

/// <summary>A SNAP amount: <c>{"value":"10000.00","currency":"IDR"}</c>. Money stays <see cref="decimal"/> until this edge.</summary>
public sealed record SnapAmount(string Value, string Currency)
{
    /// <summary>QRIS is domestic: the only currency a QRIS refund or cancel carries.</summary>
    public const string Idr = "IDR";

    /// <summary>
    /// Formats <paramref name="amount"/> for the wire. Throws when the amount has more precision than the format
    /// carries: rounding money silently is never right.
    /// </summary>
    public static SnapAmount From(decimal amount, string currency = Idr, AmountFormat format = AmountFormat.TwoDecimals)
    {
        var scale = format == AmountFormat.Integer ? 0 : 2;
        if (decimal.Round(amount, scale) != amount)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, $"The amount has more than {scale} decimal places for the {format} format.");
        }

        var value = format == AmountFormat.Integer
            ? amount.ToString("0", CultureInfo.InvariantCulture)
            : amount.ToString("0.00", CultureInfo.InvariantCulture);
        return new SnapAmount(value, currency);
    }

    /// <summary>The value as a decimal; throws <see cref="FormatException"/> when it is not a plain decimal number.</summary>
    public decimal ToDecimal()
        => decimal.Parse(Value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>Like <see cref="ToDecimal"/> without throwing.</summary>
    public bool TryToDecimal(out decimal amount)
        => decimal.TryParse(Value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out amount);
}
