namespace RefundWorker.Demo;

/// <summary>Plain-text tables for a terminal or a CI log.</summary>
public static class Table
{
    public static void Print(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        string Line(string[] r) => "  " + string.Join("  ", r.Select((c, i) => c.PadRight(widths[i])));
        output.WriteLine(Line(header));
        output.WriteLine("  " + string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in all.Skip(1))
        {
            output.WriteLine(Line(row));
        }
    }
}

/// <summary>A progress bar on a terminal; a line every 10% in a log.</summary>
public static class Progress
{
    public static async Task<bool> WaitAsync(TextWriter output, Func<int> done, int total, TimeSpan timeout, CancellationToken ct)
    {
        var interactive = !Console.IsOutputRedirected;
        var deadline = DateTimeOffset.UtcNow + timeout;
        var lastDecile = -1;
        while (true)
        {
            var n = done();
            if (interactive)
            {
                var width = 40;
                var filled = total == 0 ? width : n * width / total;
                output.Write($"\r  [{new string('#', filled)}{new string('.', width - filled)}] {n}/{total}");
            }
            else if (n * 10 / Math.Max(total, 1) is var decile && decile != lastDecile)
            {
                lastDecile = decile;
                output.WriteLine($"  {n}/{total} outcomes");
            }

            if (n >= total)
            {
                if (interactive)
                {
                    output.WriteLine();
                }

                return true;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                output.WriteLine();
                output.WriteLine($"  timed out after {timeout.TotalSeconds:0}s with {n}/{total} outcomes");
                return false;
            }

            await Task.Delay(100, ct);
        }
    }
}
