using System.Globalization;
using System.Text.Json;

namespace RefundWorker.Cli;

/// <summary>Plain aligned tables for people (scripts use <c>--json</c>).</summary>
public static class OpsTable
{
    public static void Write(TextWriter output, IEnumerable<JsonElement> rows, params (string Header, string Property, int Max)[] columns)
    {
        var cells = rows.Select(r => columns.Select(c => Cell(r, c.Property, c.Max)).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Header.Length, cells.Count == 0 ? 0 : cells.Max(row => row[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", columns.Select((c, i) => c.Header.PadRight(widths[i]))).TrimEnd());
        foreach (var row in cells)
        {
            output.WriteLine(string.Join("  ", row.Select((v, i) => v.PadRight(widths[i]))).TrimEnd());
        }

        if (cells.Count == 0)
        {
            output.WriteLine("(none)");
        }
    }

    /// <summary>Name: value lines for one object (nested objects and arrays as compact JSON).</summary>
    public static void WriteObject(TextWriter output, JsonElement obj, params string[] skip)
    {
        foreach (var p in obj.EnumerateObject().Where(p => !skip.Contains(p.Name)))
        {
            output.WriteLine($"{p.Name}: {Text(p.Value, 0)}");
        }
    }

    public static string Cell(JsonElement row, string property, int max)
    {
        var value = property.Split('.').Aggregate((JsonElement?)row, (e, name) => e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v : null);
        var text = value is { } v2 ? Text(v2, max) : string.Empty;
        return text;
    }

    public static string Text(JsonElement v, int max)
    {
        var s = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Null or JsonValueKind.Undefined => string.Empty,
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            _ => v.GetRawText(),
        };
        if (v.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) && s.Contains('T', StringComparison.Ordinal))
        {
            s = t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        s = s.Replace('\n', ' ').Replace('\r', ' ');
        return max > 0 && s.Length > max ? s[..(max - 1)] + "…" : s;
    }
}
