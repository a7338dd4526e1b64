using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RefundWorker.Admin;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// The worker with the admin API on (an operator and a reader, keys configured as SHA-256 only), every log line captured
/// so tests can prove no key reaches a log, on its own database and vhost.
/// </summary>
public sealed class AdminFixture : WorkerFixture
{
    public const string OperatorName = "alice";
    public const string ReaderName = "bob";
    public const int MaxBodyBytes = 4096;

    /// <summary>Random per run: a key found in a log or a table can only have come from this run.</summary>
    public string OperatorKey { get; } = "rwk_op_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    public string ReaderKey { get; } = "rwk_rd_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    public string WrongKey { get; } = "rwk_xx_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    public CapturingLoggerProvider Logs { get; } = new();

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        s[$"Admin:Operators:{OperatorName}:KeyHash"] = AdminAuthenticator.HashKey(OperatorKey);
        s[$"Admin:Operators:{OperatorName}:Role"] = "operator";
        s[$"Admin:Operators:{ReaderName}:KeyHash"] = AdminAuthenticator.HashKey(ReaderKey);
        s[$"Admin:Operators:{ReaderName}:Role"] = "reader";
        s["Admin:DrainInterval"] = "00:00:00.200";
        s["Admin:PauseRefreshInterval"] = "00:00:00.500";
        s["Admin:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        s["Logging:LogLevel:Default"] = "Information";
        s["Logging:LogLevel:RefundWorker"] = "Debug";
        s["Logging:LogLevel:Microsoft.AspNetCore"] = "Information";
        return s;
    }

    protected override void ConfigureWorker(WebApplicationBuilder builder) => builder.Logging.AddProvider(Logs);

    public static Uri Address(WebApplication app)
        => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>An HTTP client for the admin API of <paramref name="app"/> (the fixture's worker by default).</summary>
    public HttpClient Client(string? key, WebApplication? app = null)
    {
        var http = new HttpClient { BaseAddress = Address(app ?? Worker), Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    public static byte[] Envelope(string messageType, object message, Guid? messageId = null) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        messageId = messageId ?? Guid.NewGuid(),
        messageType = new[] { messageType },
        message,
        sentTime = DateTimeOffset.UtcNow,
        headers = new { },
    }));

    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, TimeSpan? timeout = null, string? what = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (await probe() is { } v)
            {
                return v;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for " + (what ?? "a condition"));
            }

            await Task.Delay(100);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AdminCollection : ICollectionFixture<AdminFixture>
{
    public const string Name = "admin";
}
