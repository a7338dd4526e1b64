namespace RefundWorker.Chaos;

/// <summary>
/// <c>RefundWorker.Chaos [--count N] [--rate N] [--kills N] ...</c> (see <see cref="ChaosOptions"/>). Exit status 0:
/// no breach; 1: a breach (the table says which); 2: the run itself could not be set up.
/// </summary>
public static class ChaosProgram
{
    public static async Task<int> Main(string[] args)
    {
        ChaosOptions options;
        try
        {
            options = ChaosOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync("chaos: " + e.Message);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            var report = await ChaosRun.RunAsync(options, Console.Out, cancel.Token);
            return report.Breaches == 0 ? 0 : 1;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"chaos: the run failed: {e}");
            return 2;
        }
    }
}
