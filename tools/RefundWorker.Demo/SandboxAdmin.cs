using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RefundWorker.Demo;

/// <summary>The few calls of the sandbox's admin API (<c>/_sandbox/*</c>) the demo needs.</summary>
public sealed class SandboxAdmin(HttpClient http)
{
    public async Task SeedOriginalsAsync(IEnumerable<object> originals, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/_sandbox/originals", originals, ct);
        await EnsureAsync(response, "seed originals", ct);
    }

    /// <summary>Queues scripted answers for the next requests of one provider operation.</summary>
    public async Task ScriptAsync(string provider, string operation, object[] steps, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"/_sandbox/faults/{provider}/script", new { operation, steps }, ct);
        await EnsureAsync(response, $"script {provider} {operation}", ct);
    }

    /// <summary>The ledger: per original transaction, every refund and cancel actually effected.</summary>
    public async Task<JsonArray> LedgerEntriesAsync(CancellationToken ct)
    {
        var view = await http.GetFromJsonAsync<JsonObject>("/_sandbox/ledger", ct)
            ?? throw new InvalidOperationException("the sandbox returned an empty ledger");
        return view["originals"]?.AsArray() ?? throw new InvalidOperationException("the sandbox ledger has no 'originals'");
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"sandbox refused to {what}: {(int)response.StatusCode} {body}");
        }
    }

    public static decimal Decimal(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.Number => node.GetValue<decimal>(),
        JsonValueKind.String => decimal.Parse(node.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
        _ => 0m,
    };
}
