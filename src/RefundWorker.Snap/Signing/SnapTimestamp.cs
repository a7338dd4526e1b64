using System.Globalization;

namespace RefundWorker.Snap;

/// <summary>
/// X-TIMESTAMP values. Providers ask for Jakarta time with its offset (docs/protocol.md#timestamps). Jakarta has had no
/// daylight saving since 1964, so a fixed +07:00 is exact and does not depend on the server's zone database
/// or on <see cref="TimeZoneInfo.Local"/>.
/// </summary>
public static class SnapTimestamp
{
    private static readonly TimeSpan JakartaOffset = TimeSpan.FromHours(7);

    private static readonly string[] ParseFormats =
    [
        "yyyy-MM-dd'T'HH:mm:sszzz",
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
    ];

    /// <summary>Formats <paramref name="instant"/> as <c>yyyy-MM-ddTHH:mm:ss+07:00</c>.</summary>
    public static string Format(DateTimeOffset instant)
    {
        var local = instant.ToOffset(JakartaOffset);
        // Fixed-width layout written by hand: this runs once per outgoing call on the hot path.
        return string.Create(25, local, static (span, t) =>
        {
            Write4(span, t.Year);
            span[4] = '-';
            Write2(span[5..], t.Month);
            span[7] = '-';
            Write2(span[8..], t.Day);
            span[10] = 'T';
            Write2(span[11..], t.Hour);
            span[13] = ':';
            Write2(span[14..], t.Minute);
            span[16] = ':';
            Write2(span[17..], t.Second);
            "+07:00".AsSpan().CopyTo(span[19..]);
        });
    }

    /// <summary>The current instant from <paramref name="time"/>, formatted as X-TIMESTAMP.</summary>
    public static string Now(TimeProvider time) => Format(time.GetUtcNow());

    /// <summary>
    /// Parses an ISO-8601 timestamp with second precision and an explicit offset (any offset, or <c>Z</c>).
    /// A value without an offset is rejected: it would silently take the server's zone.
    /// </summary>
    public static bool TryParse(string? value, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        return DateTimeOffset.TryParseExact(
            value,
            ParseFormats,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal,
            out instant);
    }

    private static void Write2(Span<char> dest, int value)
    {
        dest[0] = (char)('0' + (value / 10));
        dest[1] = (char)('0' + (value % 10));
    }

    private static void Write4(Span<char> dest, int value)
    {
        dest[0] = (char)('0' + (value / 1000));
        dest[1] = (char)('0' + (value / 100 % 10));
        dest[2] = (char)('0' + (value / 10 % 10));
        dest[3] = (char)('0' + (value % 10));
    }
}
