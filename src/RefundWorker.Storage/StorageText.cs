using System.Buffers;
using System.Text;

namespace RefundWorker.Persistence;

/// <summary>
/// What PostgreSQL refuses in text, and how to make a string storable. <c>text</c>/<c>varchar</c> cannot hold NUL
/// (22021), <c>jsonb</c> cannot hold <c>\u0000</c> or an unpaired surrogate escape (22P05), <c>varchar(n)</c> refuses
/// more than n characters (22001), and Npgsql cannot encode an unpaired UTF-16 surrogate as UTF-8 at all. Control
/// characters other than NUL are storable but no provider field accepts them, so they are refused at accept time
/// and replaced where the worker only keeps text (a rejected request, a provider's message).
/// </summary>
public static class StorageText
{
    // Unicode Cc: C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F), the characters char.IsControl accepts.
    // Every field of every request is checked on accept, so the search is vectorised rather than a char loop.
    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        [.. Enumerable.Range(0x00, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c)]);

    /// <summary>The index of the first control character (Unicode Cc: C0, DEL, C1), or -1.</summary>
    public static int IndexOfControlCharacter(string? value)
        => value is null ? -1 : value.AsSpan().IndexOfAny(ControlCharacters);

    /// <summary>The index of the first UTF-16 surrogate without its partner, or -1.</summary>
    public static int IndexOfUnpairedSurrogate(string? value)
    {
        if (value is null)
        {
            return -1;
        }

        // Most text has no surrogate at all: find the first one vectorised, pair-check from there.
        var first = value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0)
        {
            return -1;
        }

        for (var i = first; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// <paramref name="value"/> made storable: every control character becomes a space (so "Insufficient\0Funds"
    /// stays readable), an unpaired surrogate becomes U+FFFD, and the result is cut to <paramref name="maxLength"/>
    /// characters without splitting a surrogate pair. Returns the same instance when nothing had to change.
    /// </summary>
    public static string Clean(string value, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        var needsRewrite = IndexOfControlCharacter(value) >= 0 || IndexOfUnpairedSurrogate(value) >= 0;
        var s = value;
        if (needsRewrite)
        {
            var sb = new StringBuilder(value.Length);
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    sb.Append(c).Append(value[i + 1]);
                    i++;
                }
                else if (char.IsSurrogate(c))
                {
                    sb.Append('\uFFFD');
                }
                else
                {
                    sb.Append(char.IsControl(c) ? ' ' : c);
                }
            }

            s = sb.ToString();
        }

        if (maxLength is int max && s.Length > max)
        {
            var cut = max > 0 && char.IsHighSurrogate(s[max - 1]) ? max - 1 : max;
            s = s[..cut];
        }

        return s;
    }

    /// <summary><see cref="Clean(string, int?)"/> for optional values.</summary>
    public static string? CleanOrNull(string? value, int? maxLength = null) => value is null ? null : Clean(value, maxLength);
}
