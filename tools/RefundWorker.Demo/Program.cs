using System.CommandLine;
using RefundWorker.Demo;

// The order system's side of `./build.sh demo`, and the end-to-end load harness.
var sandboxOption = new Option<string>("--sandbox") { Description = "The sandbox's root URL", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
var timeoutOption = new Option<int>("--timeout-seconds") { Description = "How long to wait for outcomes", DefaultValueFactory = _ => 120 };
var countOption = new Option<int>("--count") { Description = "How many requests", DefaultValueFactory = _ => 200 };
var originalsOption = new Option<int>("--originals") { Description = "How many original transactions the load spreads over", DefaultValueFactory = _ => 2_000 };

var run = new Command("run", "Publish the demo mix and print the outcomes against the sandbox ledger") { sandboxOption, timeoutOption, countOption };
run.SetAction((parse, ct) => Execute(parse, ct, (settings, admin) => new DemoScenario(settings, admin, Console.Out).RunAsync(parse.GetValue(countOption), ct)));

var load = new Command("load", "Publish N refunds at once and report end-to-end throughput and commits per refund") { sandboxOption, timeoutOption, countOption, originalsOption };
load.SetAction((parse, ct) => Execute(parse, ct, (settings, admin) => new LoadRun(settings, admin, Console.Out).RunAsync(parse.GetValue(countOption), parse.GetValue(originalsOption), ct)));

var outOption = new Option<DirectoryInfo>("--out") { Description = "Where the keys and the fixed message are written", DefaultValueFactory = _ => new DirectoryInfo(".local/demo/oncall") };
var oncall = new Command("oncall", "Leave a dead letter and a NeedsReview refund for the ops part of the demo") { sandboxOption, timeoutOption, outOption };
oncall.SetAction((parse, ct) => Execute(parse, ct, (settings, admin) => new OnCallSetup(settings, admin, Console.Out).RunAsync(parse.GetValue(outOption)!, ct)));

var root = new RootCommand("RefundWorker demo publisher and load harness") { run, load, oncall };
return await root.Parse(args).InvokeAsync();

async Task<int> Execute(ParseResult parse, CancellationToken ct, Func<DemoSettings, SandboxAdmin, Task<int>> body)
{
    var sandboxUrl = new Uri(parse.GetValue(sandboxOption)!);
    var settings = DemoSettings.FromEnvironment(sandboxUrl, TimeSpan.FromSeconds(parse.GetValue(timeoutOption)));
    using var http = new HttpClient { BaseAddress = sandboxUrl, Timeout = TimeSpan.FromSeconds(30) };
    return await body(settings, new SandboxAdmin(http));
}
