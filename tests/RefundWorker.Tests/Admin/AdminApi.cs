using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RefundWorker.Tests.Admin;

/// <summary>Small helpers over the admin API's JSON for the tests.</summary>
public static class AdminApi
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(this HttpClient http, string path, object? body)
    {
        using var r = await http.PostAsJsonAsync(path, body);
        return (r.StatusCode, await ReadAsync(r));
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(this HttpClient http, string path)
    {
        using var r = await http.GetAsync(path);
        return (r.StatusCode, await ReadAsync(r));
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
