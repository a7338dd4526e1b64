using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// PostgreSQL and RabbitMQ in throwaway containers started through Testcontainers, on ephemeral host ports (the
/// shared servers on 5432/5672/15672 are never in the way). Used when no services are configured or answering and a
/// container engine does (a laptop with Docker and nothing else), and always by the container-path tests.
/// </summary>
public sealed class ContainerServiceEndpoints : IServiceEndpoints, IAsyncDisposable
{
    private const string User = "refundworker";
    private const string Password = "refundworker";
    private const ushort ManagementPort = 15672;

    private readonly PostgreSqlContainer _postgres;
    private readonly RabbitMqContainer _rabbitMq;

    private ContainerServiceEndpoints(PostgreSqlContainer postgres, RabbitMqContainer rabbitMq, string postgresImage, string rabbitMqImage)
    {
        _postgres = postgres;
        _rabbitMq = rabbitMq;
        PostgresImage = postgresImage;
        RabbitMqImage = rabbitMqImage;
        PostgresAdmin = postgres.GetConnectionString();
        var host = rabbitMq.Hostname;
        RabbitMq = new Uri($"amqp://{User}:{Password}@{host}:{rabbitMq.GetMappedPublicPort(RabbitMqBuilder.RabbitMqPort)}/");
        RabbitMqManagement = new Uri($"http://{host}:{rabbitMq.GetMappedPublicPort(ManagementPort)}");
    }

    public string PostgresAdmin { get; }

    public Uri RabbitMq { get; }

    public Uri RabbitMqManagement { get; }

    public string PostgresImage { get; }

    public string RabbitMqImage { get; }

    /// <summary>The PostgreSQL container's id, for tests that look at it through the engine.</summary>
    public string PostgresContainerId => _postgres.Id;

    public string RabbitMqContainerId => _rabbitMq.Id;

    /// <summary>Starts both containers on the engine at <paramref name="engine"/> and waits until they serve.</summary>
    public static async Task<ContainerServiceEndpoints> StartAsync(Uri engine)
    {
        var postgresImage = await ContainerImages.PostgresAsync(engine);
        var rabbitMqImage = await ContainerImages.RabbitMqAsync(engine);

        var postgres = new PostgreSqlBuilder(postgresImage)
            .WithUsername(User)
            .WithPassword(Password)
            .WithDatabase(User)
            // The suite's fixtures each keep a pool of their own: Postgres' default of 100 connections is too few.
            .WithCommand("-c", "max_connections=300")
            .WithLabel("org.refundworker.tests", "true")
            .Build();

        var rabbitMq = new RabbitMqBuilder(rabbitMqImage)
            .WithUsername(User)
            .WithPassword(Password)
            // Tests create a vhost each through the management API, published next to AMQP.
            .WithPortBinding(ManagementPort, true)
            .WithLabel("org.refundworker.tests", "true")
            .Build();

        try
        {
            // Both at once: RabbitMQ's boot (~10-20 s on a busy machine) dominates either way.
            await Task.WhenAll(postgres.StartAsync(), rabbitMq.StartAsync());
            var endpoints = new ContainerServiceEndpoints(postgres, rabbitMq, postgresImage, rabbitMqImage);
            await endpoints.WaitForManagementAsync();
            return endpoints;
        }
        catch
        {
            await postgres.DisposeAsync();
            await rabbitMq.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _rabbitMq.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    /// <summary>"Server startup complete" is logged before the management listener always accepts requests.</summary>
    private async Task WaitForManagementAsync()
    {
        using var http = new HttpClient { BaseAddress = RabbitMqManagement, Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}")));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var r = await http.GetAsync("api/overview");
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"RabbitMQ's management API at {RabbitMqManagement} did not answer within 60 s.");
            }

            await Task.Delay(250);
        }
    }
}
