using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace RefundWorker.Cli;

/// <summary>
/// The admin API for <c>RefundWorker ops</c>: bearer key from <c>REFUNDWORKER_ADMIN_KEY</c> (never a flag, so it stays
/// out of shell history), problems turned into one readable line and a documented exit code.
/// </summary>
public sealed class OpsClient(HttpClient http, TextWriter error) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<(int Exit, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = JsonContent.Create(body, options: Json);
            }

            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"error: cannot reach {http.BaseAddress}: {e.Message}");
            return (OpsExit.Failed, default);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            await error.WriteLineAsync($"error: {http.BaseAddress} did not answer in time");
            return (OpsExit.Failed, default);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var json = default(JsonElement);
            if (text.Length > 0)
            {
                try
                {
                    json = JsonDocument.Parse(text).RootElement.Clone();
                }
                catch (JsonException)
                {
                    await error.WriteLineAsync($"error: HTTP {(int)response.StatusCode} with a body that is not JSON");
                    return (OpsExit.Failed, default);
                }
            }

            if (response.IsSuccessStatusCode)
            {
                return (OpsExit.Ok, json);
            }

            await error.WriteLineAsync(Describe(response.StatusCode, json));
            return (OpsExit.For(response.StatusCode), json);
        }
    }

    private static string Describe(HttpStatusCode status, JsonElement problem)
    {
        string? S(string name) => problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var where = S("field") is { } f ? $" (field: {f})" : S("rule") is { } r ? $" (rule: {r})" : string.Empty;
        return $"error: {(int)status} {S("title") ?? status.ToString()}{where}: {S("detail") ?? string.Empty}".TrimEnd(' ', ':');
    }

    public static OpsClient? Create(string url, Func<string, string?> env, TextWriter error, HttpMessageHandler? handler)
    {
        var key = env(OpsCommands.KeyVariable);
        if (string.IsNullOrWhiteSpace(key))
        {
            error.WriteLine($"error: set {OpsCommands.KeyVariable} to your operator key (it is read from the environment, never from a flag).");
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri))
        {
            error.WriteLine($"error: --url '{url}' is not an absolute URL.");
            return null;
        }

        var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = baseUri;
        http.Timeout = TimeSpan.FromSeconds(100);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Trim());
        return new OpsClient(http, error);
    }

    public void Dispose() => http.Dispose();
}

/// <summary>Exit codes of <c>RefundWorker ops</c> (documented in the README).</summary>
public static class OpsExit
{
    public const int Ok = 0;

    /// <summary>The server failed or could not be reached, or a bulk job ended with failures.</summary>
    public const int Failed = 1;

    /// <summary>Bad arguments, or no key in the environment.</summary>
    public const int Usage = 2;

    /// <summary>401 or 403: no valid key, or a reader's key for a change.</summary>
    public const int Denied = 3;

    public const int NotFound = 4;

    /// <summary>409: the state does not allow it (already replayed, not NeedsReview, already paused…).</summary>
    public const int Conflict = 5;

    /// <summary>400: a field is missing or invalid (the message names it).</summary>
    public const int Invalid = 6;

    public static int For(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => Denied,
        HttpStatusCode.NotFound => NotFound,
        HttpStatusCode.Conflict => Conflict,
        HttpStatusCode.BadRequest => Invalid,
        _ => Failed,
    };
}
