using System.Net.Sockets;
using DotNet.Testcontainers.Configurations;

namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// Whether a Docker-API container engine (Docker, or podman's `podman system service`) answers, found the way
/// Testcontainers finds it (DOCKER_HOST, ~/.testcontainers.properties, the default socket), and whether it holds an
/// image. Asked over the engine's HTTP API directly: Testcontainers itself only finds out when a container fails to
/// start, which is too late to choose between the engine and the local services.
/// </summary>
public static class ContainerEngine
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The engine's endpoint (unix:// or tcp://), or null with the reason when none answers.</summary>
    public static async Task<(Uri? Endpoint, string Reason)> ProbeAsync()
    {
        Uri? endpoint;
        try
        {
            endpoint = TestcontainersSettings.OS.DockerEndpointAuthConfig?.Endpoint;
        }
        catch (Exception e)
        {
            return (null, $"Testcontainers found no container engine configuration ({e.GetType().Name}: {e.Message})");
        }

        if (endpoint is null)
        {
            return (null, Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host
                ? $"no container engine found (DOCKER_HOST={host} leads to none)"
                : "no container engine found (DOCKER_HOST is unset and there is no Docker socket)");
        }

        try
        {
            using var http = CreateClient(endpoint);
            var ping = await http.GetStringAsync("_ping");
            return ping.Trim() == "OK"
                ? (endpoint, $"the container engine at {endpoint} answers")
                : (null, $"the container engine at {endpoint} answered '{ping}' to _ping");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException or IOException)
        {
            return (null, $"the container engine at {endpoint} does not answer ({e.GetType().Name}: {e.Message})");
        }
    }

    /// <summary>True when the engine at <paramref name="endpoint"/> has <paramref name="image"/> locally.</summary>
    public static async Task<bool> HasImageAsync(Uri endpoint, string image)
    {
        using var http = CreateClient(endpoint);
        using var response = await http.GetAsync($"images/{Uri.EscapeDataString(image)}/json");
        return response.IsSuccessStatusCode;
    }

    /// <summary>Kills and removes a container at once (no graceful stop): for a test process on its way out.</summary>
    public static async Task RemoveAsync(Uri endpoint, string containerId)
    {
        using var http = CreateClient(endpoint);
        using var response = await http.DeleteAsync($"containers/{Uri.EscapeDataString(containerId)}?force=true&v=true");
    }

    private static HttpClient CreateClient(Uri endpoint)
    {
        if (endpoint.Scheme == "unix")
        {
            var socketPath = endpoint.LocalPath;
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            return new HttpClient(handler) { BaseAddress = new Uri("http://engine/"), Timeout = ProbeTimeout };
        }

        // tcp://host:port, plain HTTP: an engine that takes TLS only reads as not answering, and the local services are used.
        return new HttpClient { BaseAddress = new UriBuilder("http", endpoint.Host, endpoint.Port).Uri, Timeout = ProbeTimeout };
    }
}
