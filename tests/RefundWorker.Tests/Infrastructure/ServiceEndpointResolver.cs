using System.Net.Sockets;
using Npgsql;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// Chooses where the fixtures' PostgreSQL and RabbitMQ are, in this order:
/// 1. ConnectionStrings__Postgres / ConnectionStrings__RabbitMq when set (./build.sh sets them; they are used even if
///    they do not answer, so a misconfigured run fails loudly instead of quietly testing something else);
/// 2. the local defaults (127.0.0.1:5432 and :5672) when both answer;
/// 3. containers through Testcontainers when a container engine answers: one PostgreSQL and one RabbitMQ for the whole
///    test run, removed when the test process exits;
/// 4. otherwise the local defaults anyway, and the tests fail on the refused connection as before.
/// </summary>
public static class ServiceEndpointResolver
{
    private static readonly Lazy<Task<IServiceEndpoints>> Shared = new(ResolveOnceAsync);

    public static Task<IServiceEndpoints> ResolveAsync() => Shared.Value;

    private static async Task<IServiceEndpoints> ResolveOnceAsync()
    {
        var configured = EnvironmentServiceEndpoints.FromEnvironment();
        if (Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 }
            || Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") is { Length: > 0 })
        {
            return configured;
        }

        var pg = new NpgsqlConnectionStringBuilder(configured.PostgresAdmin);
        if (await AnswersAsync(pg.Host ?? "127.0.0.1", pg.Port) && await AnswersAsync(configured.RabbitMq.Host, configured.RabbitMq.Port))
        {
            return configured;
        }

        var (engine, reason) = await ContainerEngine.ProbeAsync();
        if (engine is null)
        {
            await Console.Error.WriteLineAsync($"No PostgreSQL/RabbitMQ configured or answering locally, and {reason}: using the local defaults.");
            return configured;
        }

        await Console.Error.WriteLineAsync($"No PostgreSQL/RabbitMQ configured or answering locally; {reason}: starting containers.");
        var containers = await ContainerServiceEndpoints.StartAsync(engine);

        // xunit 2 has no assembly-wide fixture to dispose them, and the resource reaper (Ryuk) may be off (podman):
        // remove them when the test process ends. A graceful stop takes too long there (the test runner does not
        // wait for it, and the containers were seen left running): kill and remove both at once through the API.
        // A run killed harder than that leaves them behind, labelled org.refundworker.tests=true (build.sh removes them).
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            Task.WhenAll(new[] { containers.RabbitMqContainerId, containers.PostgresContainerId }.Select(async id =>
            {
                try
                {
                    await ContainerEngine.RemoveAsync(engine, id);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    await Console.Error.WriteLineAsync($"could not remove test container {id}: {e.Message}");
                }
            })).GetAwaiter().GetResult();
        return containers;
    }

    private static async Task<bool> AnswersAsync(string host, int port)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(host, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
