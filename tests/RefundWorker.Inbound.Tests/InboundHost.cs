using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using MassTransit;
using Npgsql;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using RefundWorker.Contracts;
using RefundWorker.Inbound.Persistence;
using RefundWorker.InboundHosting;
using RefundWorker.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// The real host on Kestrel (127.0.0.1, ephemeral port) against a database and a RabbitMQ vhost of its own, with
/// three NICEPAY partners (one per signature mode) whose RSA keys the fixture generates. One per test class.
/// </summary>
public sealed class InboundHost : IAsyncLifetime
{
    public const string SymmetricClientId = "IONPAYTEST";
    public const string SymmetricSecret = "test-client-secret-for-hmac-0123456789";
    public const string RsaClientId = "IONPAYRSA";
    public const string RequestRsaClientId = "IONPAYREQ";

    private readonly IReadOnlyDictionary<string, string?> overrides;
    private readonly string readyPath;
    private WebApplication? app;

    public InboundHost()
        : this(new Dictionary<string, string?>(), "/health/ready")
    {
    }

    /// <summary>A host with settings replaced (e.g. an unreachable RabbitMQ), ready when <paramref name="readyPath"/> is.</summary>
    internal InboundHost(IReadOnlyDictionary<string, string?> overrides, string readyPath)
    {
        this.overrides = overrides;
        this.readyPath = readyPath;
    }

    /// <summary>The host's clock, moved by hand (token expiry, the next Jakarta day, retention).</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>NICEPAY's private key, as NICEPAY holds it; the host is configured with its public half.</summary>
    public RSA NicepayKey { get; } = RSA.Create(2048);

    /// <summary>A key nobody configured: signatures made with it must be refused.</summary>
    public RSA StrangerKey { get; } = RSA.Create(2048);

    public CapturingLoggerProvider Logs { get; } = new();

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => app!.Services;

    public NicepayCaller Symmetric => new(Http, Clock, SymmetricClientId, SymmetricClientId, NicepayKey, Mode.Symmetric, SymmetricSecret);

    public NicepayCaller ClientIdTimestamp => new(Http, Clock, RsaClientId, RsaClientId, NicepayKey, Mode.ClientIdTimestamp, null);

    public NicepayCaller AsymmetricRequest => new(Http, Clock, RequestRsaClientId, RequestRsaClientId, NicepayKey, Mode.AsymmetricRequest, null);

    public TestDatabase Database { get; private set; } = null!;

    public TestVirtualHost VirtualHost { get; private set; } = null!;

    /// <summary>The order system's side of RabbitMQ: publishes payment codes, receives CvsInquiryAnswered.</summary>
    public OrderSystemBus OrderSystem { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var endpoints = EnvironmentServiceEndpoints.FromEnvironment();
        Database = await TestDatabase.CreateAsync(endpoints);
        VirtualHost = await TestVirtualHost.CreateAsync(endpoints);
        OrderSystem = await OrderSystemBus.StartAsync(VirtualHost.Amqp);

        var publicPem = NicepayKey.ExportSubjectPublicKeyInfoPem();
        var settings = new Dictionary<string, string?>
        {
            // 20 connections serve 200 concurrent inquiries (requests wait for a connection), and leave room in the
            // server's max_connections (300, set by build.sh) for the other fixtures of the run.
            ["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 20 }.ConnectionString,
            ["ConnectionStrings:RabbitMq"] = VirtualHost.Amqp.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:RefundWorker"] = "Information",
            ["Worker:OutboxPollInterval"] = "00:00:00.200",
            ["Worker:ShutdownTimeout"] = "00:00:05",
            // The inbound pool of its own (Inbound:MaxDatabaseConnections) serves the 200 concurrent inquiries.
            ["Inbound:MaxDatabaseConnections"] = "20",
            // Budgets far above what the tests send; the rate-limit tests start hosts with small ones.
            ["Inbound:RateLimits:PartnerPermitsPerSecond"] = "100000",
            ["Inbound:RateLimits:UnauthenticatedPermitsPerSecond"] = "100000",
            ["Inbound:Partners:nicepay:ClientId"] = SymmetricClientId,
            ["Inbound:Partners:nicepay:ClientSecret"] = SymmetricSecret,
            ["Inbound:Partners:nicepay:PublicKey"] = publicPem,
            ["Inbound:Partners:nicepay:SignatureMode"] = "Symmetric",
            ["Inbound:Partners:nicepay:TimestampSkewSeconds"] = "300",
            ["Inbound:Partners:nicepay-rsa:ClientId"] = RsaClientId,
            ["Inbound:Partners:nicepay-rsa:PublicKey"] = publicPem,
            ["Inbound:Partners:nicepay-rsa:SignatureMode"] = "AsymmetricClientIdTimestamp",
            ["Inbound:Partners:nicepay-req:ClientId"] = RequestRsaClientId,
            ["Inbound:Partners:nicepay-req:PublicKey"] = publicPem,
            ["Inbound:Partners:nicepay-req:SignatureMode"] = "AsymmetricRequest",
        };

        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        app = WorkerApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            // Real Kestrel on an ephemeral loopback port: the tests speak HTTP over TCP as NICEPAY would.
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            // Registered before the host's TryAdd, so the host runs on the test's clock.
            builder.Services.AddSingleton<TimeProvider>(Clock);
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(Logs);
        });
        await app.StartAsync();
        await WorkerFixture.WaitUntilReadyAsync(app, readyPath);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Http = new HttpClient { BaseAddress = new Uri(address) };
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        if (OrderSystem is not null)
        {
            await OrderSystem.DisposeAsync();
        }

        if (VirtualHost is not null)
        {
            await FixtureCleanup.RunAsync($"vhost {VirtualHost.Name}", async () => await VirtualHost.DisposeAsync());
        }

        if (Database is not null)
        {
            await FixtureCleanup.RunAsync($"database {Database.Name}", async () => await Database.DisposeAsync());
        }

        NicepayKey.Dispose();
        StrangerKey.Dispose();
    }

    /// <summary>
    /// Sets the database's CONNECTION LIMIT (-1: none). At 0 PostgreSQL refuses every new connection with 53300, as
    /// a server at max_connections does; connections already open keep working.
    /// </summary>
    public async Task SetConnectionLimitAsync(int limit)
    {
        await using var admin = new NpgsqlConnection(EnvironmentServiceEndpoints.FromEnvironment().PostgresAdmin);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"ALTER DATABASE \"{Database.Name}\" CONNECTION LIMIT {limit}", admin);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Closes the host's idle pooled connections (the pipeline's and the inbound pool), so its next database work must open a new one.</summary>
    public void ClearHostPool()
    {
        Services.GetRequiredService<NpgsqlDataSource>().Clear();
        Services.GetRequiredService<InboundConnections>().DataSource.Clear();
    }

    /// <summary>Runs <paramref name="work"/> against the host's database.</summary>
    public async Task<T> DbAsync<T>(Func<RefundWorkerDbContext, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<RefundWorkerDbContext>());
    }

    /// <summary>Publishes <paramref name="code"/> on RabbitMQ and waits until the host's consumer has stored it.</summary>
    public async Task IssueAsync(CvsPaymentCodeIssued code)
    {
        await OrderSystem.Bus.Publish(code);
        await WaitUntilAsync(
            () => DbAsync(db => db.Set<CvsPaymentCode>().AnyAsync(c => c.PayNo == code.PayNo && c.Amount == code.Amount && c.ExpiresAt == code.ExpiresAt)),
            $"payment code {code.PayNo} to be stored");
    }

    /// <summary>Publishes <paramref name="closed"/> on RabbitMQ and waits until the closure is stored.</summary>
    public async Task CloseAsync(CvsPaymentCodeClosed closed)
    {
        await OrderSystem.Bus.Publish(closed);
        await WaitUntilAsync(
            () => DbAsync(db => db.Set<CvsPaymentCodeClosure>().AnyAsync(c => c.PayNo == closed.PayNo)),
            $"closure of {closed.PayNo} to be stored");
    }

    /// <summary>How many CvsInquiryAnswered events the outbox holds for <paramref name="inquiryRequestId"/>.</summary>
    public Task<int> AnsweredEventsAsync(string inquiryRequestId)
        => DbAsync(db => db.Database
            .SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM outbox WHERE type = {typeof(CvsInquiryAnswered).FullName} AND payload->>'inquiryRequestId' = {inquiryRequestId}")
            .SingleAsync());

    /// <summary>Waits until the worker's OutboxDispatcher has published every row (RabbitMQ confirmed them).</summary>
    public Task WaitForOutboxDrainedAsync()
        => WaitUntilAsync(async () => await CountAsync($"SELECT count(*)::int AS \"Value\" FROM outbox WHERE sent_at IS NULL") == 0, "the outbox to drain");

    /// <summary>Runs a <c>SELECT count(*)::int AS "Value" …</c> against the host's database.</summary>
    public Task<int> CountAsync(FormattableString sql) => DbAsync(db => db.Database.SqlQuery<int>(sql).SingleAsync());

    /// <summary>The payload of the one CvsInquiryAnswered event for <paramref name="inquiryRequestId"/>.</summary>
    public Task<string> AnsweredEventPayloadAsync(string inquiryRequestId)
        => DbAsync(db => db.Database
            .SqlQuery<string>($"SELECT payload::text AS \"Value\" FROM outbox WHERE type = {typeof(CvsInquiryAnswered).FullName} AND payload->>'inquiryRequestId' = {inquiryRequestId}")
            .SingleAsync());

    /// <summary>Polls until <paramref name="condition"/> holds (messages cross RabbitMQ asynchronously).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {seconds}s waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }
}
