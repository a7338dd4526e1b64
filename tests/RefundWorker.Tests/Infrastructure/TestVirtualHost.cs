using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>A fresh RabbitMQ virtual host for one fixture (management API), deleted at the end.</summary>
public sealed class TestVirtualHost : IAsyncDisposable
{
    private readonly HttpClient _http;

    private TestVirtualHost(HttpClient http, string name, Uri amqp)
    {
        _http = http;
        Name = name;
        Amqp = amqp;
    }

    public string Name { get; }

    /// <summary>amqp URI of the vhost, for ConnectionStrings:RabbitMq.</summary>
    public Uri Amqp { get; }

    public static async Task<TestVirtualHost> CreateAsync(IServiceEndpoints services)
    {
        var user = Uri.UnescapeDataString(services.RabbitMq.UserInfo.Split(':')[0]);
        var password = Uri.UnescapeDataString(services.RabbitMq.UserInfo.Split(':') is { Length: > 1 } p ? p[1] : "guest");
        var http = new HttpClient { BaseAddress = services.RabbitMqManagement, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        var name = "rw-test-" + Guid.NewGuid().ToString("N")[..12];
        (await http.PutAsync($"api/vhosts/{name}", JsonContent.Create(new { description = "RefundWorker test" }))).EnsureSuccessStatusCode();
        (await http.PutAsync($"api/permissions/{name}/{Uri.EscapeDataString(user)}", JsonContent.Create(new { configure = ".*", write = ".*", read = ".*" }))).EnsureSuccessStatusCode();
        var amqp = new UriBuilder(services.RabbitMq) { Path = "/" + Uri.EscapeDataString(name) }.Uri;
        return new TestVirtualHost(http, name, amqp);
    }

    /// <summary>A queue's arguments and message count, read from the management API.</summary>
    public async Task<JsonElement> QueueAsync(string queue)
    {
        var json = await _http.GetStringAsync($"api/queues/{Name}/{Uri.EscapeDataString(queue)}");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    /// <summary>Any management API resource of this vhost, e.g. <c>connections</c> (<c>api/vhosts/{name}/connections</c>).</summary>
    public async Task<JsonElement> GetAsync(string resource)
    {
        var json = await _http.GetStringAsync($"api/vhosts/{Name}/{resource}");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    /// <summary>Takes up to <paramref name="count"/> messages off a queue (they are removed), with their headers.</summary>
    public async Task<JsonElement[]> GetMessagesAsync(string queue, int count)
    {
        using var response = await _http.PostAsync($"api/queues/{Name}/{Uri.EscapeDataString(queue)}/get",
            JsonContent.Create(new { count, ackmode = "ack_requeue_false", encoding = "auto", truncate = 50000 }));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return [];
        }

        response.EnsureSuccessStatusCode();
        var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _http.DeleteAsync($"api/vhosts/{Name}");
        }
        finally
        {
            _http.Dispose();
        }
    }
}
