using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RefundWorker.Cli;

/// <summary>Tables for people, drawn by Spectre.Console (scripts use <c>--json</c>, which is unchanged).</summary>
public static class OpsTable
{
    public static void Write(TextWriter output, IEnumerable<JsonElement> rows, params (string Header, string Property, int Max)[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(c.Header)).NoWrap());
        }

        var count = 0;
        foreach (var row in rows)
        {
            // Cells are text, never markup: a reason or a message body may hold [brackets].
            table.AddRow(columns.Select(c => (IRenderable)new Text(Cell(row, c.Property, c.Max))).ToArray());
            count++;
        }

        var console = OpsConsole.Over(output);
        console.Write(table);
        if (count == 0)
        {
            console.WriteLine("(none)");
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
