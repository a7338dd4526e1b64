using System.CommandLine;
using RefundWorker.Cli;

// RefundWorker            run the worker (same as `run`)
// RefundWorker run        run the worker
// RefundWorker migrate    apply database migrations (--script prints the SQL)
// RefundWorker snap ...   sign and verify SNAP signatures by hand
// RefundWorker ops ...    on-call tools over the admin API (dead letters, stuck operations, provider pauses, audit)
var root = new RootCommand("RefundWorker: durable SNAP refund and cancel worker.") { TreatUnmatchedTokensAsErrors = false };
root.Subcommands.Add(WorkerCommands.Run());
root.Subcommands.Add(WorkerCommands.Migrate());
root.Subcommands.Add(SnapCommands.Create());
root.Subcommands.Add(OpsCommands.Create());
root.SetAction((parse, ct) => WorkerCommands.RunAsync(parse.UnmatchedTokens.ToArray(), ct));
return await root.Parse(args).InvokeAsync();
