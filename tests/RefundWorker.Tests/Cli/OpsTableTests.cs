using System.Text.Json;
using RefundWorker.Cli;

namespace RefundWorker.Tests.Cli;

/// <summary>`RefundWorker ops` tables (Spectre.Console) when the output is not a terminal: what scripts and pipes see.</summary>
public sealed class OpsTableTests
{
    [Fact]
    public void Should_print_every_cell_whole_on_its_row_without_escape_codes_or_markup_when_redirected()
    {
        var reason = "PostgreSQL refused it [22001]: value too long for type character varying(64) " + new string('x', 150);
        var rows = JsonDocument.Parse(JsonSerializer.Serialize(new[]
        {
            new { id = "01a23011-cd69-71f8-8a07-2651b10ff392", reason, at = "2026-12-01T05:26:44.476+00:00" },
            new { id = "second", reason = "[bold]not markup[/]", at = "2026-12-01T05:26:45Z" },
        })).RootElement.EnumerateArray();
        var output = new StringWriter();

        OpsTable.Write(output, rows, ("ID", "id", 0), ("REASON", "reason", 0), ("AT", "at", 0));

        var text = output.ToString();
        Assert.DoesNotContain('\u001b', text);
        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.Contains("ID", StringComparison.Ordinal) && l.Contains("REASON", StringComparison.Ordinal) && l.Contains("AT", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("01a23011-cd69-71f8-8a07-2651b10ff392", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal)
            && l.Contains("2026-12-01 05:26:44Z", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("[bold]not markup[/]", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_print_the_headers_and_none_when_there_are_no_rows()
    {
        var output = new StringWriter();

        OpsTable.Write(output, [], ("ID", "id", 0), ("STATUS", "status", 0));

        Assert.Contains("STATUS", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("(none)", output.ToString(), StringComparison.Ordinal);
    }
}
