using RefundWorker.Bench;
using RefundWorker.Bench.Textbook;
using RefundWorker.Demo;

// `textbook`: the baseline consumer's process. `run`: the runner that feeds both and prints the table.
switch (args.FirstOrDefault())
{
    case "textbook":
        return await TextbookHost.RunAsync(args[1..]);
    case "run":
        var settings = BenchSettings.FromEnvironment();
        using (var http = new HttpClient { BaseAddress = settings.SandboxUrl, Timeout = TimeSpan.FromSeconds(60) })
        {
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
            return await new BenchRunner(settings, new SandboxAdmin(http), http, Console.Out).RunAsync(cts.Token);
        }
    default:
        Console.Error.WriteLine("usage: RefundWorker.Bench textbook | run   (run it through ./build.sh bench)");
        return 2;
}
