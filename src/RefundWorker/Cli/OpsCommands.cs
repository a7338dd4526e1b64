using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace RefundWorker.Cli;

/// <summary>
/// <c>RefundWorker ops …</c>: the on-call CLI over the admin API (<c>/admin</c>). The key comes from
/// <c>REFUNDWORKER_ADMIN_KEY</c>, the API from <c>--url</c> (or <c>REFUNDWORKER_ADMIN_URL</c>). Tables for people,
/// <c>--json</c> for scripts, <c>--dry-run</c> on every bulk change; exit codes in <see cref="OpsExit"/>.
/// </summary>
public static class OpsCommands
{
    public const string KeyVariable = "REFUNDWORKER_ADMIN_KEY";
    public const string UrlVariable = "REFUNDWORKER_ADMIN_URL";

    private sealed record Ctx(Option<string> Url, Option<bool> Json, Func<string, string?> Env, HttpMessageHandler? Handler, TimeSpan Poll);

    /// <param name="env">Environment lookup (tests pass their own).</param>
    /// <param name="handler">HTTP handler (tests may pass one); null for a normal client.</param>
    public static Command Create(Func<string, string?>? env = null, HttpMessageHandler? handler = null, TimeSpan? pollInterval = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var url = new Option<string>("--url")
        {
            Description = $"The admin API's base URL (default: ${UrlVariable}, else http://localhost:8080).",
            Recursive = true,
            DefaultValueFactory = _ => env(UrlVariable) ?? "http://localhost:8080",
        };
        var json = new Option<bool>("--json") { Description = "Print the API's JSON instead of a table.", Recursive = true };
        var ctx = new Ctx(url, json, env, handler, pollInterval ?? TimeSpan.FromMilliseconds(500));
        var ops = new Command("ops", $"On-call tools over the admin API. The key is read from ${KeyVariable}.");
        ops.Options.Add(url);
        ops.Options.Add(json);
        ops.Subcommands.Add(DeadLetters(ctx));
        ops.Subcommands.Add(Operations(ctx));
        ops.Subcommands.Add(Providers(ctx));
        ops.Subcommands.Add(Audit(ctx));
        return ops;
    }

    private static Command DeadLetters(Ctx ctx)
    {
        var cmd = new Command("dead-letters", "Messages that failed, drained from the error queues into PostgreSQL.");

        var f = new FilterOptions();
        var limit = new Option<int>("--limit") { Description = "Rows per page (1-1000).", DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "nextCursor of the previous page." };
        var list = new Command("list", "List dead letters, newest first.");
        f.AddTo(list);
        list.Options.Add(limit);
        list.Options.Add(cursor);
        list.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, _) =>
        {
            var (exit, body) = await c.SendAsync(HttpMethod.Get, "/admin/dead-letters" + Query(f.Pairs(p).Append(("limit", p.GetValue(limit).ToString(CultureInfo.InvariantCulture))).Append(("cursor", p.GetValue(cursor)))), null, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            OpsTable.Write(o, body.GetProperty("items").EnumerateArray(), ("ID", "id", 0), ("QUEUE", "originalQueue", 24), ("TYPE", "messageType", 40), ("STATUS", "status", 0),
                ("REPLAYS", "replayCount", 0), ("FAILED", "lastFailedAt", 0), ("FINGERPRINT", "fingerprint", 0), ("REASON", "exceptionMessage", 60));
            if (body.GetProperty("nextCursor").ValueKind == JsonValueKind.String)
            {
                o.WriteLine($"more: --cursor {body.GetProperty("nextCursor").GetString()}");
            }

            return 0;
        }));

        var groups = new Command("groups", "Dead letters grouped by cause (fingerprint), biggest group first.");
        f.AddTo(groups);
        groups.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, _) =>
        {
            var (exit, body) = await c.SendAsync(HttpMethod.Get, "/admin/dead-letters/groups" + Query(f.Pairs(p)), null, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            OpsTable.Write(o, body.GetProperty("groups").EnumerateArray(), ("FINGERPRINT", "fingerprint", 0), ("COUNT", "count", 0), ("NEW", "newCount", 0),
                ("FIRST SEEN", "firstSeen", 0), ("LAST SEEN", "lastSeen", 0), ("QUEUE", "queue", 24), ("SAMPLE REASON", "sampleReason", 80));
            return 0;
        }));

        var id = new Argument<Guid>("id") { Description = "The dead letter's id." };
        var show = new Command("show", "One dead letter: body as received, headers, fault, replays.");
        show.Arguments.Add(id);
        show.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, _) =>
        {
            var (exit, body) = await c.SendAsync(HttpMethod.Get, $"/admin/dead-letters/{p.GetValue(id)}", null, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            OpsTable.WriteObject(o, body, "body", "headers", "stackTrace", "replays");
            o.WriteLine("replays: " + body.GetProperty("replays").GetRawText());
            o.WriteLine("stackTrace:");
            o.WriteLine(body.GetProperty("stackTrace").ValueKind == JsonValueKind.String ? body.GetProperty("stackTrace").GetString() : "(none)");
            o.WriteLine("body:");
            o.WriteLine(body.GetProperty("body").GetString());
            return 0;
        }));

        var ids = new Argument<Guid[]>("ids") { Description = "Dead letter ids (or use a filter).", Arity = ArgumentArity.ZeroOrMore };
        var reason = new Option<string?>("--reason") { Description = "Why (required; goes to the audit log)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would happen; change nothing." };
        var force = new Option<bool>("--force") { Description = "Replay letters already replayed, discarded, or at Admin:MaxReplays." };
        var bodyFile = new Option<FileInfo?>("--body-file") { Description = "Replay one letter with this edited message (the contract as JSON, not the envelope)." };
        var replay = new Command("replay", "Re-publish letters to the queue they failed on: one (optionally edited) or many by ids or filter, as a job.");
        replay.Arguments.Add(ids);
        f.AddTo(replay);
        replay.Options.Add(reason);
        replay.Options.Add(dryRun);
        replay.Options.Add(force);
        replay.Options.Add(bodyFile);
        replay.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, e) =>
        {
            var chosen = p.GetValue(ids) ?? [];
            var filter = f.Body(p);
            if (chosen.Length == 0 && filter is null)
            {
                await e.WriteLineAsync("error: give letter ids or a filter (--fingerprint, --queue, --type, --status, --since, --until).");
                return OpsExit.Usage;
            }

            JsonElement? edited = null;
            if (p.GetValue(bodyFile) is { } file)
            {
                if (chosen.Length != 1 || filter is not null)
                {
                    await e.WriteLineAsync("error: --body-file replays exactly one letter.");
                    return OpsExit.Usage;
                }

                try
                {
                    edited = JsonDocument.Parse(await File.ReadAllTextAsync(file.FullName, ct)).RootElement.Clone();
                }
                catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
                {
                    await e.WriteLineAsync($"error: cannot read {file.FullName} as JSON: {ex.Message}");
                    return OpsExit.Usage;
                }
            }

            if (chosen.Length == 1 && filter is null && !p.GetValue(dryRun))
            {
                var (exit, body) = await c.SendAsync(HttpMethod.Post, $"/admin/dead-letters/{chosen[0]}/replay", new { reason = p.GetValue(reason), body = edited, force = p.GetValue(force) }, ct);
                if (exit != 0 || Json(ctx, p, o, body))
                {
                    return exit;
                }

                o.WriteLine($"replayed {chosen[0]} as message {body.GetProperty("messageId").GetString()} (replay #{body.GetProperty("replayNumber").GetInt32()})");
                return 0;
            }

            var request = new { ids = chosen.Length > 0 ? chosen : null, filter, reason = p.GetValue(reason), dryRun = p.GetValue(dryRun), force = p.GetValue(force) };
            var (bulkExit, started) = await c.SendAsync(HttpMethod.Post, "/admin/dead-letters/replay", request, ct);
            if (bulkExit != 0)
            {
                return bulkExit;
            }

            if (p.GetValue(dryRun))
            {
                if (!Json(ctx, p, o, started))
                {
                    var why = string.Join(", ", started.GetProperty("skippedBecause").EnumerateObject().Select(x => $"{x.Value.GetInt32()} {x.Name}"));
                    o.WriteLine($"dry run: {started.GetProperty("matched").GetInt32()} matched, {started.GetProperty("wouldReplay").GetInt32()} would be replayed, "
                        + $"{started.GetProperty("wouldSkip").GetInt32()} skipped{(why.Length > 0 ? " (" + why + ")" : string.Empty)}. Nothing was changed.");
                }

                return 0;
            }

            return await FollowJobAsync(ctx, p, c, o, e, started.GetProperty("jobId").GetString()!, ct);
        }));

        var discard = new Command("discard", "Mark letters as not to be replayed (one, or many by ids or filter).");
        var discardIds = new Argument<Guid[]>("ids") { Description = "Dead letter ids (or use a filter).", Arity = ArgumentArity.ZeroOrMore };
        discard.Arguments.Add(discardIds);
        f.AddTo(discard);
        discard.Options.Add(reason);
        discard.Options.Add(dryRun);
        discard.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, e) =>
        {
            var chosen = p.GetValue(discardIds) ?? [];
            var filter = f.Body(p);
            if (chosen.Length == 0 && filter is null)
            {
                await e.WriteLineAsync("error: give letter ids or a filter.");
                return OpsExit.Usage;
            }

            var (exit, body) = chosen.Length == 1 && filter is null && !p.GetValue(dryRun)
                ? await c.SendAsync(HttpMethod.Post, $"/admin/dead-letters/{chosen[0]}/discard", new { reason = p.GetValue(reason) }, ct)
                : await c.SendAsync(HttpMethod.Post, "/admin/dead-letters/discard", new { ids = chosen.Length > 0 ? chosen : null, filter, reason = p.GetValue(reason), dryRun = p.GetValue(dryRun) }, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            o.WriteLine(body.TryGetProperty("dryRun", out _) ? $"dry run: {body.GetProperty("wouldDiscard").GetInt32()} would be discarded. Nothing was changed."
                : body.TryGetProperty("discarded", out var n) ? $"discarded {n.GetInt32()}" : $"discarded {chosen[0]}");
            return 0;
        }));

        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(groups);
        cmd.Subcommands.Add(show);
        cmd.Subcommands.Add(replay);
        cmd.Subcommands.Add(discard);
        return cmd;
    }

    /// <summary>Polls the job with a progress bar on stderr (Spectre.Console, live on a terminal; a line per change
    /// when redirected), then prints the summary; exit 1 if any letter failed. With --json only the final job.</summary>
    private static async Task<int> FollowJobAsync(Ctx ctx, ParseResult p, OpsClient c, TextWriter o, TextWriter e, string jobId, CancellationToken ct)
    {
        var exit = 0;
        JsonElement job = default;

        async Task<bool> PollAsync()
        {
            (exit, job) = await c.SendAsync(HttpMethod.Get, $"/admin/jobs/{jobId}", null, ct);
            return exit == 0 && job.GetProperty("status").GetString() == "Running";
        }

        var progressConsole = p.GetValue(ctx.Json) ? null : OpsConsole.Over(e);
        if (progressConsole is { Profile.Capabilities.Interactive: true })
        {
            await progressConsole.Progress()
                .AutoClear(false)
                .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                .StartAsync(async progress =>
                {
                    var bar = progress.AddTask("replaying", maxValue: 1);
                    while (true)
                    {
                        var running = await PollAsync();
                        if (exit != 0)
                        {
                            return;
                        }

                        var (seen, total, counts) = Counts(job);
                        bar.MaxValue = Math.Max(total, 1);
                        bar.Value = total == 0 ? 1 : seen;
                        bar.Description = Markup.Escape(counts);
                        if (!running)
                        {
                            return;
                        }

                        await Task.Delay(ctx.Poll, ct);
                    }
                });
        }
        else
        {
            // Redirected (a log, a pipe) or --json: no live bar. A line per change of the counts, so a log shows
            // how the job went and its last line is the final state; nothing at all with --json.
            string? last = null;
            while (true)
            {
                var running = await PollAsync();
                if (exit != 0)
                {
                    break;
                }

                var (_, _, counts) = Counts(job);
                if (progressConsole is not null && counts != last)
                {
                    progressConsole.WriteLine(counts);
                    last = counts;
                }

                if (!running)
                {
                    break;
                }

                await Task.Delay(ctx.Poll, ct);
            }
        }

        if (exit != 0)
        {
            return exit;
        }

        var outcome = job.GetProperty("failed").GetInt32() > 0 || job.GetProperty("status").GetString() != "Completed" ? OpsExit.Failed : OpsExit.Ok;
        if (Json(ctx, p, o, job))
        {
            return outcome;
        }

        o.WriteLine($"job {jobId} {job.GetProperty("status").GetString()}: {job.GetProperty("done").GetInt32()} replayed, {job.GetProperty("skipped").GetInt32()} skipped, "
            + $"{job.GetProperty("failed").GetInt32()} failed of {job.GetProperty("total").GetInt32()}"
            + (job.GetProperty("error").ValueKind == JsonValueKind.String ? $" ({job.GetProperty("error").GetString()})" : string.Empty));
        return outcome;
    }

    private static (int Seen, int Total, string Counts) Counts(JsonElement job)
    {
        int total = job.GetProperty("total").GetInt32(), done = job.GetProperty("done").GetInt32(), skipped = job.GetProperty("skipped").GetInt32(), failed = job.GetProperty("failed").GetInt32();
        var seen = done + skipped + failed;
        return (seen, total, $"{seen}/{total}  replayed {done}, skipped {skipped}, failed {failed}");
    }

    private static Command Operations(Ctx ctx)
    {
        var cmd = new Command("operations", "Refunds and cancels: inspect, reconcile now, resolve by hand.");

        var state = new Option<string?>("--state") { Description = "Pending, Sending, Reconciling, Succeeded, Failed, Rejected, NeedsReview." };
        var kind = new Option<string?>("--kind") { Description = "refund or cancel." };
        var provider = new Option<string?>("--provider") { Description = "Provider name." };
        var key = new Option<string?>("--key") { Description = "partnerRefundNo, originalPartnerReferenceNo, X-EXTERNAL-ID or requestId." };
        var olderThan = new Option<string?>("--older-than") { Description = "Created longer ago than this: 30m, 2h, 7d." };
        var limit = new Option<int>("--limit") { Description = "Rows per page (1-1000).", DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "nextCursor of the previous page." };
        var list = new Command("list", "List operations, newest first.");
        foreach (var o in new Option[] { state, kind, provider, key, olderThan, limit, cursor })
        {
            list.Options.Add(o);
        }

        list.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, _) =>
        {
            var q = Query([("state", p.GetValue(state)), ("kind", p.GetValue(kind)), ("provider", p.GetValue(provider)), ("key", p.GetValue(key)),
                ("olderThan", p.GetValue(olderThan)), ("limit", p.GetValue(limit).ToString(CultureInfo.InvariantCulture)), ("cursor", p.GetValue(cursor))]);
            var (exit, body) = await c.SendAsync(HttpMethod.Get, "/admin/operations" + q, null, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            OpsTable.Write(o, body.GetProperty("items").EnumerateArray(), ("ID", "id", 0), ("KIND", "kind", 0), ("PROVIDER", "provider", 0), ("KEY", "partnerRefundNo", 24),
                ("STATE", "state", 0), ("ATTEMPTS", "attempts", 0), ("QUERIES", "queries", 0), ("CREATED", "createdAt", 0), ("MESSAGE", "outcomeMessage", 60));
            if (body.GetProperty("nextCursor").ValueKind == JsonValueKind.String)
            {
                o.WriteLine($"more: --cursor {body.GetProperty("nextCursor").GetString()}");
            }

            return 0;
        }));

        var id = new Argument<Guid?>("id") { Description = "The operation's id (or --provider with --key).", Arity = ArgumentArity.ZeroOrOne };
        var show = new Command("show", "One operation with every attempt, its outcome events, resolution and audit rows.");
        show.Arguments.Add(id);
        show.Options.Add(provider);
        show.Options.Add(key);
        show.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, e) =>
        {
            string path;
            if (p.GetValue(id) is { } opId)
            {
                path = $"/admin/operations/{opId}";
            }
            else if (p.GetValue(provider) is { } prov && p.GetValue(key) is { } k)
            {
                path = $"/admin/operations/by-key/{Uri.EscapeDataString(prov)}/{Uri.EscapeDataString(k)}";
            }
            else
            {
                await e.WriteLineAsync("error: give an operation id, or --provider and --key.");
                return OpsExit.Usage;
            }

            var (exit, body) = await c.SendAsync(HttpMethod.Get, path, null, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            OpsTable.WriteObject(o, body, "attemptLog", "events", "audit", "resolution");
            o.WriteLine();
            o.WriteLine("attempts:");
            OpsTable.Write(o, body.GetProperty("attemptLog").EnumerateArray(), ("#", "number", 0), ("ACTION", "action", 0), ("AT", "at", 0), ("X-EXTERNAL-ID", "externalId", 0),
                ("HTTP", "httpStatus", 0), ("CODE", "responseCode", 0), ("CLASS", "classification", 0), ("MS", "latencyMs", 0), ("TRACE", "traceId", 0));
            o.WriteLine();
            o.WriteLine("events:");
            OpsTable.Write(o, body.GetProperty("events").EnumerateArray(), ("MESSAGE ID", "messageId", 0), ("TYPE", "type", 0), ("CREATED", "createdAt", 0), ("DELIVERED", "delivered", 0));
            if (body.GetProperty("resolution").ValueKind == JsonValueKind.Object)
            {
                o.WriteLine();
                o.WriteLine("resolution:");
                OpsTable.WriteObject(o, body.GetProperty("resolution"));
            }

            o.WriteLine();
            o.WriteLine("audit:");
            OpsTable.Write(o, body.GetProperty("audit").EnumerateArray(), ("AT", "at", 0), ("ACTOR", "actor", 0), ("ACTION", "action", 0), ("OUTCOME", "outcome", 0), ("REASON", "reason", 60));
            return 0;
        }));

        var reason = new Option<string?>("--reason") { Description = "Why (required; goes to the audit log)." };
        var required = new Argument<Guid>("id") { Description = "The operation's id." };
        var reconcile = new Command("reconcile", "Query the provider now (Reconciling or NeedsReview); the state machine decides.");
        reconcile.Arguments.Add(required);
        reconcile.Options.Add(reason);
        reconcile.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, _) =>
        {
            var (exit, body) = await c.SendAsync(HttpMethod.Post, $"/admin/operations/{p.GetValue(required)}/reconcile", new { reason = p.GetValue(reason) }, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            o.WriteLine($"operation {p.GetValue(required)}: {body.GetProperty("previousState").GetString()} -> Reconciling, due now; `ops operations show` to follow it.");
            return 0;
        }));

        var outcome = new Option<string?>("--outcome") { Description = "succeeded or failed." };
        outcome.AcceptOnlyFromAmong("succeeded", "failed");
        var referenceNo = new Option<string?>("--reference-no") { Description = "The provider's reference of the refund, when it succeeded." };
        var evidence = new Option<string?>("--evidence") { Description = "What shows the outcome (statement line, provider ticket…)." };
        var resolve = new Command("resolve", "Settle a NeedsReview operation by hand; its outcome event is published once.");
        resolve.Arguments.Add(required);
        resolve.Options.Add(outcome);
        resolve.Options.Add(referenceNo);
        resolve.Options.Add(evidence);
        resolve.Options.Add(reason);
        resolve.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, _) =>
        {
            var (exit, body) = await c.SendAsync(HttpMethod.Post, $"/admin/operations/{p.GetValue(required)}/resolve",
                new { outcome = p.GetValue(outcome), referenceNo = p.GetValue(referenceNo), evidence = p.GetValue(evidence), reason = p.GetValue(reason) }, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            o.WriteLine($"operation {p.GetValue(required)} resolved {body.GetProperty("state").GetString()}; event {body.GetProperty("eventType").GetString()} {body.GetProperty("eventId").GetString()} queued in the outbox.");
            return 0;
        }));

        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(show);
        cmd.Subcommands.Add(reconcile);
        cmd.Subcommands.Add(resolve);
        return cmd;
    }

    private static Command Providers(Ctx ctx)
    {
        var cmd = new Command("providers", "Pause calls to a provider during its incident, and resume them.");
        var name = new Argument<string>("name") { Description = "Provider name (Snap:Providers:<name>)." };
        var reason = new Option<string?>("--reason") { Description = "Why (required; goes to the audit log)." };
        foreach (var verb in new[] { "pause", "resume" })
        {
            var c = new Command(verb, verb == "pause" ? "No calls to the provider from any replica until resumed." : "Calls to the provider start again.");
            c.Arguments.Add(name);
            c.Options.Add(reason);
            c.SetAction((p, ct) => RunAsync(ctx, p, async (client, o, _) =>
            {
                var (exit, body) = await client.SendAsync(HttpMethod.Post, $"/admin/providers/{Uri.EscapeDataString(p.GetValue(name)!)}/{verb}", new { reason = p.GetValue(reason) }, ct);
                if (exit != 0 || Json(ctx, p, o, body))
                {
                    return exit;
                }

                o.WriteLine($"{p.GetValue(name)} {(verb == "pause" ? "paused" : "resumed")}");
                return 0;
            }));
            cmd.Subcommands.Add(c);
        }

        var list = new Command("list", "Providers ever paused, and whether they are now.");
        list.SetAction((p, ct) => RunAsync(ctx, p, async (client, o, _) =>
        {
            var (exit, body) = await client.SendAsync(HttpMethod.Get, "/admin/providers", null, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            OpsTable.Write(o, body.GetProperty("providers").EnumerateArray(), ("PROVIDER", "provider", 0), ("PAUSED", "paused", 0), ("BY", "changedBy", 0), ("AT", "changedAt", 0), ("REASON", "reason", 60));
            return 0;
        }));
        cmd.Subcommands.Add(list);
        return cmd;
    }

    private static Command Audit(Ctx ctx)
    {
        var cmd = new Command("audit", "Who did what, when and why (changes and refused attempts), newest first.");
        var actor = new Option<string?>("--actor") { Description = "Operator name." };
        var action = new Option<string?>("--action") { Description = "e.g. dead-letter.replay, operation.resolve, provider.pause." };
        var target = new Option<string?>("--target") { Description = "e.g. operation:<id>, dead-letter:<id>, provider:nicepay." };
        var since = new Option<string?>("--since") { Description = "ISO 8601 time." };
        var limit = new Option<int>("--limit") { Description = "Rows (1-1000).", DefaultValueFactory = _ => 50 };
        foreach (var o in new Option[] { actor, action, target, since, limit })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction((p, ct) => RunAsync(ctx, p, async (c, o, _) =>
        {
            var q = Query([("actor", p.GetValue(actor)), ("action", p.GetValue(action)), ("target", p.GetValue(target)), ("since", p.GetValue(since)),
                ("limit", p.GetValue(limit).ToString(CultureInfo.InvariantCulture))]);
            var (exit, body) = await c.SendAsync(HttpMethod.Get, "/admin/audit" + q, null, ct);
            if (exit != 0 || Json(ctx, p, o, body))
            {
                return exit;
            }

            OpsTable.Write(o, body.GetProperty("items").EnumerateArray(), ("AT", "entry.at", 0), ("ACTOR", "entry.actor", 0), ("ROLE", "entry.role", 0), ("ACTION", "entry.action", 0),
                ("TARGET", "target", 50), ("OUTCOME", "entry.outcome", 0), ("HTTP", "entry.statusCode", 0), ("REASON", "entry.reason", 60));
            return 0;
        }));
        return cmd;
    }

    private static async Task<int> RunAsync(Ctx ctx, ParseResult p, Func<OpsClient, TextWriter, TextWriter, Task<int>> body)
    {
        var output = p.InvocationConfiguration.Output;
        var error = p.InvocationConfiguration.Error;
        using var client = OpsClient.Create(p.GetValue(ctx.Url)!, ctx.Env, error, ctx.Handler);
        if (client is null)
        {
            return OpsExit.Usage;
        }

        return await body(client, output, error);
    }

    private static bool Json(Ctx ctx, ParseResult p, TextWriter output, JsonElement body)
    {
        if (!p.GetValue(ctx.Json))
        {
            return false;
        }

        output.WriteLine(JsonSerializer.Serialize(body, OpsClient.Json));
        return true;
    }

    private static string Query(IEnumerable<(string Name, string? Value)> pairs)
    {
        var parts = pairs.Where(x => !string.IsNullOrEmpty(x.Value)).Select(x => $"{x.Name}={Uri.EscapeDataString(x.Value!)}").ToList();
        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }

    /// <summary>The dead-letter filter options, shared by list, groups, replay and discard.</summary>
    private sealed class FilterOptions
    {
        private readonly Option<string?> _queue = new("--queue") { Description = "Queue (error or original), e.g. refund-requested." };
        private readonly Option<string?> _type = new("--type") { Description = "Message type, e.g. RefundRequested." };
        private readonly Option<string?> _fingerprint = new("--fingerprint") { Description = "The cause group (see `groups`)." };
        private readonly Option<string?> _status = new("--status") { Description = "New, Replayed or Discarded." };
        private readonly Option<string?> _since = new("--since") { Description = "Last failed at or after (ISO 8601)." };
        private readonly Option<string?> _until = new("--until") { Description = "Last failed before (ISO 8601)." };

        public void AddTo(Command c)
        {
            foreach (var o in new[] { _queue, _type, _fingerprint, _status, _since, _until })
            {
                c.Options.Add(o);
            }
        }

        public IEnumerable<(string, string?)> Pairs(ParseResult p) =>
        [
            ("queue", p.GetValue(_queue)), ("messageType", p.GetValue(_type)), ("fingerprint", p.GetValue(_fingerprint)),
            ("status", p.GetValue(_status)), ("since", p.GetValue(_since)), ("until", p.GetValue(_until)),
        ];

        /// <summary>The filter as the bulk routes take it; null when no filter option was given.</summary>
        public object? Body(ParseResult p) => Pairs(p).All(x => x.Item2 is null) ? null : new
        {
            queue = p.GetValue(_queue), messageType = p.GetValue(_type), fingerprint = p.GetValue(_fingerprint), status = p.GetValue(_status),
            since = p.GetValue(_since), until = p.GetValue(_until),
        };
    }
}
