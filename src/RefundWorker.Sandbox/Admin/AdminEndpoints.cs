using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace RefundWorker.Sandbox;

/// <summary>
/// <c>/_sandbox/*</c>: the ledger, originals, faults, behaviour, stats and reset. Documented in README.md ("Admin API").
/// No authentication: the sandbox is a test tool and listens on loopback unless told otherwise.
/// </summary>
internal static class AdminEndpoints
{
    public const string Prefix = "/_sandbox";

    public static void Map(IEndpointRouteBuilder app, SandboxRuntime rt, Func<IReadOnlyList<SandboxProviderInfo>> providers)
    {
        var ctx = SandboxJson.Context;

        app.MapGet(Prefix + "/health", http => WriteAsync(http, 200, new AdminOk("ok"), ctx.AdminOk));

        app.MapGet(Prefix + "/providers", http => WriteAsync(http, 200, providers().ToList(), ctx.ListSandboxProviderInfo));

        app.MapGet(Prefix + "/ledger", http =>
        {
            var provider = http.Request.Query["provider"].ToString();
            var entries = rt.Ledger.Snapshot(string.IsNullOrEmpty(provider) ? null : provider);
            var view = new LedgerView(entries, entries.Sum(e => e.RefundedAmount), entries.Sum(e => e.Refunds.Count), entries.Count(e => e.Cancel is not null));
            return WriteAsync(http, 200, view, ctx.LedgerView);
        });

        app.MapGet(Prefix + "/ledger/{provider}/{originalReferenceNo}", http =>
        {
            var provider = (string)http.Request.RouteValues["provider"]!;
            var reference = (string)http.Request.RouteValues["originalReferenceNo"]!;
            var entry = rt.Ledger.Find(provider, reference) ?? rt.Ledger.FindByPartnerReferenceNo(provider, reference);
            return entry is null
                ? ErrorAsync(http, 404, $"No original transaction {provider}/{reference}.")
                : WriteAsync(http, 200, entry, ctx.LedgerEntry);
        });

        app.MapPost(Prefix + "/originals", async http =>
        {
            List<OriginalSeed>? seeds;
            try
            {
                using var doc = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
                seeds = doc.RootElement.ValueKind == JsonValueKind.Array
                    ? doc.RootElement.Deserialize(ctx.ListOriginalSeed)
                    : [doc.RootElement.Deserialize(ctx.OriginalSeed)!];
            }
            catch (JsonException ex)
            {
                await ErrorAsync(http, 400, "Body must be an original transaction or an array of them: " + ex.Message);
                return;
            }

            try
            {
                var added = rt.Ledger.AddOriginals(seeds ?? []);
                await WriteAsync(http, 201, added.ToList(), ctx.ListLedgerEntry);
            }
            catch (ArgumentException ex)
            {
                await ErrorAsync(http, 400, ex.Message);
            }
            catch (InvalidOperationException ex)
            {
                await ErrorAsync(http, 409, ex.Message);
            }
        });

        app.MapGet(Prefix + "/faults", http => WriteAsync(http, 200, View(rt.Faults), ctx.FaultsView));

        app.MapPut(Prefix + "/faults", async http =>
        {
            var doc = await ReadAsync(http, ctx.FaultsDocument);
            if (doc is null)
            {
                return;
            }

            var unknown = doc.Providers?.Keys.FirstOrDefault(k => !rt.Providers.ContainsKey(k));
            if (unknown is not null)
            {
                await ErrorAsync(http, 404, $"No sandbox provider named '{unknown}'.");
                return;
            }

            var error = doc.Providers?.Select(kv => kv.Value.Validate() is { } e ? $"Faults of '{kv.Key}': {e}." : null).FirstOrDefault(e => e is not null);
            if (error is not null)
            {
                await ErrorAsync(http, 400, error);
                return;
            }

            if (doc.Seed is { } seed)
            {
                rt.Faults.SetSeed(seed);
            }

            foreach (var name in rt.Providers.Keys)
            {
                rt.Faults.Set(name, doc.Providers?.GetValueOrDefault(name) ?? doc.Providers?.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? new FaultSettings());
            }

            await WriteAsync(http, 200, View(rt.Faults), ctx.FaultsView);
        });

        app.MapDelete(Prefix + "/faults", http =>
        {
            rt.Faults.Clear();
            return WriteAsync(http, 200, View(rt.Faults), ctx.FaultsView);
        });

        app.MapGet(Prefix + "/faults/{provider}", http =>
        {
            var provider = (string)http.Request.RouteValues["provider"]!;
            return rt.Providers.ContainsKey(provider)
                ? WriteAsync(http, 200, rt.Faults.Get(provider), ctx.FaultSettings)
                : ErrorAsync(http, 404, $"No sandbox provider named '{provider}'.");
        });

        app.MapPut(Prefix + "/faults/{provider}", async http =>
        {
            var provider = (string)http.Request.RouteValues["provider"]!;
            if (!rt.Providers.ContainsKey(provider))
            {
                await ErrorAsync(http, 404, $"No sandbox provider named '{provider}'.");
                return;
            }

            var settings = await ReadAsync(http, ctx.FaultSettings);
            if (settings is null)
            {
                return;
            }

            try
            {
                rt.Faults.Set(provider, settings);
                await WriteAsync(http, 200, rt.Faults.Get(provider), ctx.FaultSettings);
            }
            catch (ArgumentException ex)
            {
                await ErrorAsync(http, 400, ex.Message);
            }
        });

        app.MapPost(Prefix + "/faults/{provider}/script", async http =>
        {
            var provider = (string)http.Request.RouteValues["provider"]!;
            if (!rt.Providers.ContainsKey(provider))
            {
                await ErrorAsync(http, 404, $"No sandbox provider named '{provider}'.");
                return;
            }

            var script = await ReadAsync(http, ctx.ScriptRequest);
            if (script is null)
            {
                return;
            }

            try
            {
                rt.Faults.Script(provider, script.Operation, [.. script.Steps]);
                await WriteAsync(http, 200, View(rt.Faults), ctx.FaultsView);
            }
            catch (ArgumentException ex)
            {
                await ErrorAsync(http, 400, ex.Message);
            }
        });

        app.MapDelete(Prefix + "/faults/{provider}/script", http =>
        {
            var provider = (string)http.Request.RouteValues["provider"]!;
            if (!rt.Providers.ContainsKey(provider))
            {
                return ErrorAsync(http, 404, $"No sandbox provider named '{provider}'.");
            }

            rt.Faults.ClearScript(provider);
            return WriteAsync(http, 200, View(rt.Faults), ctx.FaultsView);
        });

        app.MapGet(Prefix + "/behaviour", http
            => WriteAsync(http, 200, rt.Behaviours.ProviderNames.ToDictionary(n => n, rt.Behaviours.Get), ctx.DictionaryStringBehaviourSettings));

        app.MapGet(Prefix + "/behaviour/{provider}", http =>
        {
            var provider = (string)http.Request.RouteValues["provider"]!;
            return rt.Providers.ContainsKey(provider)
                ? WriteAsync(http, 200, rt.Behaviours.Get(provider), ctx.BehaviourSettings)
                : ErrorAsync(http, 404, $"No sandbox provider named '{provider}'.");
        });

        app.MapPut(Prefix + "/behaviour/{provider}", async http =>
        {
            var provider = (string)http.Request.RouteValues["provider"]!;
            if (!rt.Providers.ContainsKey(provider))
            {
                await ErrorAsync(http, 404, $"No sandbox provider named '{provider}'.");
                return;
            }

            var settings = await ReadAsync(http, ctx.BehaviourSettings);
            if (settings is null)
            {
                return;
            }

            try
            {
                rt.Behaviours.Set(provider, settings);
                await WriteAsync(http, 200, rt.Behaviours.Get(provider), ctx.BehaviourSettings);
            }
            catch (ArgumentException ex)
            {
                await ErrorAsync(http, 400, ex.Message);
            }
        });

        app.MapGet(Prefix + "/stats", http => WriteAsync(http, 200, new StatsView(rt.Stats.Snapshot()), ctx.StatsView));

        app.MapPost(Prefix + "/reset", http =>
        {
            rt.Reset();
            return WriteAsync(http, 200, new AdminOk("reset"), ctx.AdminOk);
        });
    }

    private static FaultsView View(SandboxFaults faults)
    {
        var providers = faults.ProviderNames.ToDictionary(n => n, faults.Get);
        var scripts = new Dictionary<string, Dictionary<string, List<FaultStep>>>();
        foreach (var name in faults.ProviderNames)
        {
            var perOperation = Enum.GetValues<SandboxOperation>()
                .Select(op => (op, steps: faults.PendingScript(name, op)))
                .Where(x => x.steps.Count > 0)
                .ToDictionary(x => x.op.ToString(), x => x.steps.ToList());
            if (perOperation.Count > 0)
            {
                scripts[name] = perOperation;
            }
        }

        return new FaultsView(faults.Seed, providers, scripts);
    }

    private static async Task<T?> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> info)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(http.Request.Body, info, http.RequestAborted);
            if (value is null)
            {
                await ErrorAsync(http, 400, "Body is required.");
            }

            return value;
        }
        catch (JsonException ex)
        {
            await ErrorAsync(http, 400, "Malformed body: " + ex.Message);
            return null;
        }
    }

    private static Task ErrorAsync(HttpContext http, int status, string message)
        => WriteAsync(http, status, new AdminError(message), SandboxJson.Context.AdminError);

    private static async Task WriteAsync<T>(HttpContext http, int status, T value, JsonTypeInfo<T> info)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, value, info, http.RequestAborted);
    }
}
