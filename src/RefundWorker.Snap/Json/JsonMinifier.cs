namespace RefundWorker.Snap;

/// <summary>
/// SNAP's "minify": whitespace outside string literals is removed; everything else (key order, escapes,
/// spaces inside strings) is kept byte for byte. Not a canonicalisation (docs/protocol.md#minified-body): a peer's body
/// is minified exactly as received before its signature is checked.
/// </summary>
public static class JsonMinifier
{
    /// <summary>Minifies a JSON text.</summary>
    public static string Minify(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var source = json.AsSpan();
        if (!ContainsInsignificantWhitespace(source))
        {
            return json;
        }

        return string.Create(CountKept(source), json, static (dest, s) => Copy(s.AsSpan(), dest));
    }

    /// <summary>Minifies UTF-8 JSON bytes. The result is always a new array.</summary>
    public static byte[] Minify(ReadOnlySpan<byte> utf8)
    {
        var result = new byte[CountKept(utf8)];
        Copy(utf8, result);
        return result;
    }

    // JSON whitespace is exactly these four characters (RFC 8259 §2); all are ASCII, so the same scan works on
    // UTF-16 chars and on UTF-8 bytes (multi-byte UTF-8 sequences never contain ASCII bytes).
    private static bool IsWhitespace(int c) => c is ' ' or '\t' or '\n' or '\r';

    private static bool ContainsInsignificantWhitespace(ReadOnlySpan<char> s)
    {
        var inString = false;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (IsWhitespace(c))
            {
                return true;
            }
        }

        return false;
    }

    private static int CountKept<T>(ReadOnlySpan<T> s)
        where T : unmanaged
    {
        var kept = 0;
        var inString = false;
        for (var i = 0; i < s.Length; i++)
        {
            var c = ToInt(s[i]);
            if (inString)
            {
                kept++;
                if (c == '\\')
                {
                    if (i + 1 < s.Length)
                    {
                        i++;
                        kept++;
                    }
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (!IsWhitespace(c))
            {
                kept++;
                inString = c == '"';
            }
        }

        return kept;
    }

    private static void Copy<T>(ReadOnlySpan<T> s, Span<T> dest)
        where T : unmanaged
    {
        var j = 0;
        var inString = false;
        for (var i = 0; i < s.Length; i++)
        {
            var item = s[i];
            var c = ToInt(item);
            if (inString)
            {
                dest[j++] = item;
                if (c == '\\')
                {
                    if (i + 1 < s.Length)
                    {
                        dest[j++] = s[++i];
                    }
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (!IsWhitespace(c))
            {
                dest[j++] = item;
                inString = c == '"';
            }
        }
    }

    private static int ToInt<T>(T value)
        where T : unmanaged
    {
        if (typeof(T) == typeof(byte))
        {
            return System.Runtime.CompilerServices.Unsafe.As<T, byte>(ref value);
        }

        return System.Runtime.CompilerServices.Unsafe.As<T, char>(ref value);
    }
}
