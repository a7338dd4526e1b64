using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RefundWorker.Sandbox;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL (a fresh database), real RabbitMQ (a fresh vhost), the sandbox in process, and the worker host
/// in process, configured as in production except for short schedules. One per test collection.
/// </summary>
public class WorkerFixture : IAsyncLifetime
{
    public static readonly TimeSpan OutcomeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A second NICEPAY-profile provider, untouched by other tests (token expiry needs a cold token cache).</summary>
    public const string TokenExpiryProvider = "nicepay-tokens";

    /// <summary>A NICEPAY-profile provider with a circuit breaker that opens after two failures.</summary>
    public const string BreakerProvider = "nicepay-breaker";

    /// <summary>A NICEPAY-profile provider with a published limit of <see cref="RateLimitPerSecond"/> calls per second.</summary>
    public const string RateLimitedProvider = "nicepay-limited";

    /// <summary>Rate-limited like <see cref="RateLimitedProvider"/>, with a cold token cache of its own.</summary>
    public const string SlowTokenProvider = "nicepay-limited-slow-token";

    public const int RateLimitPerSecond = 5;

    /// <summary>A NICEPAY-profile provider whose status answer lists the payment's refunds as SNAP's refundHistory.</summary>
    public const string HistoryProvider = "nicepay-history";

    /// <summary>A NICEPAY-profile provider without idempotency: a re-sent partnerRefundNo is refunded again.</summary>
    public const string NonIdempotentProvider = "nicepay-nonidempotent";

    private readonly List<WebApplication> _workers = [];

    public IServiceEndpoints Services { get; private set; } = null!;

    public MerchantKeys Keys { get; } = new();

    public SandboxHandle Sandbox { get; private set; } = null!;

    public TestDatabase Database { get; private set; } = null!;

    public TestVirtualHost VirtualHost { get; private set; } = null!;

    public OutcomeCollector Outcomes { get; private set; } = null!;

    /// <summary>The worker started by the fixture.</summary>
    public WebApplication Worker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var sandbox = SandboxSettings.CreateDefault(Keys.PublicKeyPem);
        foreach (var name in new[] { TokenExpiryProvider, BreakerProvider, RateLimitedProvider, SlowTokenProvider, HistoryProvider, NonIdempotentProvider })
        {
            var extra = SandboxProfiles.DefaultProvider(SandboxProfiles.Nicepay);
            extra.PublicKey = Keys.PublicKeyPem;
            sandbox.Providers[name] = extra;
        }

        // Real NICEPAY lists no refunds, so "nicepay" keeps the default. The breaker test reconciles several partial
        // refunds of one payment, which only a status answer that says which refund landed can resolve.
        sandbox.Providers[HistoryProvider].Behaviour.ListRefundsInQuery = true;
        sandbox.Providers[BreakerProvider].Behaviour.ListRefundsInQuery = true;
        sandbox.Providers[NonIdempotentProvider].Behaviour.Idempotent = false;
        Sandbox = await SandboxServer.StartAsync(sandbox);
        Services = await ResolveServicesAsync();
        Database = await TestDatabase.CreateAsync(Services);
        VirtualHost = await TestVirtualHost.CreateAsync(Services);
        Outcomes = await OutcomeCollector.StartAsync(VirtualHost.Amqp);
        if (StartsInProcessWorker)
        {
            Worker = await StartWorkerAsync();
        }
    }

    /// <summary>Where PostgreSQL and RabbitMQ are: configured, local, or containers (see <see cref="ServiceEndpointResolver"/>).</summary>
    protected virtual Task<IServiceEndpoints> ResolveServicesAsync() => ServiceEndpointResolver.ResolveAsync();

    /// <summary>False for fixtures whose tests run the worker as separate processes.</summary>
    protected virtual bool StartsInProcessWorker => true;

    /// <summary>Settings of the worker under test; tests may add or override keys.</summary>
    public virtual Dictionary<string, string?> WorkerSettings()
    {
        var s = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = Database.ConnectionString,
            ["ConnectionStrings:RabbitMq"] = VirtualHost.Amqp.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:RefundWorker"] = "Warning",
            ["Worker:SchedulerPollInterval"] = "00:00:00.100",
            ["Worker:OutboxPollInterval"] = "00:00:00.200",
            ["Worker:LeaseDuration"] = "00:00:20",
            ["Worker:ShutdownTimeout"] = "00:00:05",
            ["Worker:Concurrency"] = "64",
            ["Worker:ReconcileSchedule:0"] = "00:00:00.200",
            ["Worker:ReconcileSchedule:1"] = "00:00:00.300",
            ["Worker:ReconcileSchedule:2"] = "00:00:00.500",
            ["Worker:Defaults:BackoffBase"] = "00:00:00.100",
            ["Worker:Defaults:BackoffMax"] = "00:00:00.400",
            ["Worker:Defaults:MaxAttempts"] = "4",
            ["Worker:Defaults:CallTimeout"] = "00:00:10",
            // Tests inject failures on purpose; the breaker has its own test with its own settings.
            ["Worker:Defaults:BreakerMinimumThroughput"] = "100000",
            [$"Worker:Providers:{BreakerProvider}:BreakerMinimumThroughput"] = "2",
            [$"Worker:Providers:{BreakerProvider}:BreakerFailureRatio"] = "0.5",
            [$"Worker:Providers:{BreakerProvider}:BreakerSamplingDuration"] = "00:00:30",
            [$"Worker:Providers:{BreakerProvider}:BreakerBreakDuration"] = "00:00:02",
            [$"Worker:Providers:{RateLimitedProvider}:RateLimitPerSecond"] = RateLimitPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"Worker:Providers:{SlowTokenProvider}:RateLimitPerSecond"] = RateLimitPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (name, p) in Sandbox.Providers)
        {
            var key = $"Snap:Providers:{name}:";
            s[key + "Profile"] = p.Profile;
            s[key + "BaseUrl"] = p.BaseUrl.ToString();
            s[key + "ClientId"] = p.ClientId;
            s[key + "ClientSecret"] = p.ClientSecret;
            s[key + "PrivateKey"] = Keys.PrivateKeyPem;
            s[key + "TimeoutSeconds"] = "3";
            if (p.RequiresOrigin)
            {
                s[key + "Origin"] = "https://merchant.example";
            }
        }

        return s;
    }

    /// <summary>
    /// Starts (another) worker in this process on the fixture's database and vhost, and waits until
    /// <paramref name="readyPath"/> answers 200 (null: does not wait, for tests of a worker that must not get ready).
    /// <paramref name="logging"/> adds logger providers (the fixture's workers log nowhere by default).
    /// </summary>
    public async Task<WebApplication> StartWorkerAsync(
        IDictionary<string, string?>? overrides = null, string? readyPath = "/health/ready", Action<ILoggingBuilder>? logging = null)
    {
        var settings = WorkerSettings();
        foreach (var (k, v) in overrides ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        var app = WorkerApp.Build([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(settings);
            b.Logging.ClearProviders();
            ConfigureWorker(b);
            logging?.Invoke(b.Logging);
        });
        await app.StartAsync();
        _workers.Add(app);
        if (readyPath is not null)
        {
            await WaitUntilReadyAsync(app, readyPath);
        }

        return app;
    }

    /// <summary>Lets a derived fixture add to every worker it starts (e.g. a capturing logger).</summary>
    protected virtual void ConfigureWorker(WebApplicationBuilder builder)
    {
    }

    public async Task StopWorkerAsync(WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
        _workers.Remove(app);
    }

    /// <summary>The worker's HTTP base address (Kestrel on an ephemeral loopback port).</summary>
    public static Uri AddressOf(WebApplication app)
        => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task WaitUntilReadyAsync(WebApplication app, string path = "/health/ready")
    {
        using var http = new HttpClient { BaseAddress = AddressOf(app) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var r = await http.GetAsync(path);
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The worker did not become ready ({path}) within 30s.");
            }

            await Task.Delay(100);
        }
    }

    public Task PublishAsync<T>(T message)
        where T : class
        => Outcomes.Bus.Publish(message);

    /// <summary>Publishes a raw body as the order system's MassTransit would (fanout exchange of the type), or straight into <paramref name="routingKeyQueue"/>: for messages the contracts cannot express (poison, raw headers).</summary>
    public async Task PublishRawAsync(string exchange, byte[] body, string messageId, IDictionary<string, object?>? headers = null, string? routingKeyQueue = null)
    {
        var factory = new ConnectionFactory { Uri = VirtualHost.Amqp };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var props = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = messageId, Persistent = true, Headers = headers };
        await channel.BasicPublishAsync(routingKeyQueue is null ? exchange : string.Empty, routingKeyQueue ?? string.Empty, mandatory: false, props, body);
    }

    public async Task DisposeAsync()
    {
        foreach (var w in _workers.ToList())
        {
            await StopWorkerAsync(w);
        }

        await Outcomes.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
        await Sandbox.DisposeAsync();
        Keys.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class WorkerCollection : ICollectionFixture<WorkerFixture>
{
    public const string Name = "worker";
}
