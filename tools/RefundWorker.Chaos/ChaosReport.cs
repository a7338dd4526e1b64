using System.Globalization;

namespace RefundWorker.Chaos;

/// <summary>The run's figures; every row with <c>Breach</c> set must be 0.</summary>
public sealed class ChaosReport
{
    private readonly List<(string Measure, string Value, bool IsBreachRow, long Number)> _rows = [];

    public long Breaches => _rows.Where(r => r.IsBreachRow).Sum(r => r.Number);

    public void Add(string measure, string value) => _rows.Add((measure, value, false, 0));

    public void Add(string measure, long value) => _rows.Add((measure, value.ToString("N0", CultureInfo.InvariantCulture), false, value));

    /// <summary>A row that must be 0.</summary>
    public void Breach(string measure, long value) => _rows.Add((measure, value.ToString("N0", CultureInfo.InvariantCulture), true, value));

    /// <summary>A numeric row's value (0 for a text row).</summary>
    public long Value(string measure) => _rows.First(r => r.Measure == measure).Number;

    public void Print(TextWriter output)
    {
        var width = _rows.Max(r => r.Measure.Length);
        var valueWidth = Math.Max(5, _rows.Max(r => r.Value.Length));
        var line = $"+-{new string('-', width)}-+-{new string('-', valueWidth)}-+--------+";
        output.WriteLine(line);
        output.WriteLine($"| {"measure".PadRight(width)} | {"value".PadLeft(valueWidth)} | check  |");
        output.WriteLine(line);
        foreach (var (measure, value, isBreachRow, number) in _rows)
        {
            var check = !isBreachRow ? "" : number == 0 ? "ok" : "BREACH";
            output.WriteLine($"| {measure.PadRight(width)} | {value.PadLeft(valueWidth)} | {check,-6} |");
        }

        output.WriteLine(line);
    }
}
