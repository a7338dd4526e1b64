using Spectre.Console;

namespace RefundWorker.Cli;

/// <summary>
/// A Spectre.Console console over one of the command's writers. On a terminal it takes the terminal's width, colours
/// and live progress; redirected (a pipe, a file, a test's writer) it writes plain text, no escape codes, as wide as
/// the rows are, so a script's grep or awk sees every cell whole on one line.
/// </summary>
internal static class OpsConsole
{
    /// <summary>Wider than any row a table here prints: redirected output is never wrapped.</summary>
    private const int RedirectedWidth = 4096;

    public static IAnsiConsole Over(TextWriter writer)
    {
        var terminal = IsTerminal(writer);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        if (!terminal)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }

    private static bool IsTerminal(TextWriter writer)
        => (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected)
            || (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);
}
