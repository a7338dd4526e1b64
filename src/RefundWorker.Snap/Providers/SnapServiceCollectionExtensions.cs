using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace RefundWorker.Snap;

public static class SnapServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SNAP providers from <c>Snap:Providers:&lt;name&gt;</c> of <paramref name="configuration"/>
    /// (the root configuration), validated when the host starts: a missing setting or a bad key stops the start
    /// with a message naming <c>Snap:Providers:&lt;name&gt;:&lt;Setting&gt;</c>. Also registers
    /// <see cref="SnapProviderRegistry"/>, <see cref="SnapAccessTokenProvider"/>, <see cref="IExternalIdGenerator"/>
    /// (node id from <c>Snap:NodeId</c>), the typed <see cref="SnapClient"/> and <see cref="TimeProvider.System"/>
    /// unless a <see cref="TimeProvider"/> is already registered.
    /// </summary>
    public static IServiceCollection AddSnapProviders(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<SnapOptions>()
            .Bind(configuration.GetSection(SnapOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SnapOptions>, SnapOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SnapProviderRegistry(sp.GetRequiredService<IOptions<SnapOptions>>()));
        services.TryAddSingleton<IExternalIdGenerator>(sp =>
            new ExternalIdGenerator(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<SnapOptions>>().Value.NodeId));

        services.AddHttpClient(SnapAccessTokenProvider.HttpClientName, ConfigureClient)
            .ConfigurePrimaryHttpMessageHandler(CreateHandler)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.TryAddSingleton(sp => new SnapAccessTokenProvider(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(SnapAccessTokenProvider.HttpClientName),
            sp.GetRequiredService<TimeProvider>()));

        services.AddHttpClient(SnapClient.HttpClientName, ConfigureClient)
            .ConfigurePrimaryHttpMessageHandler(CreateHandler)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.TryAddTransient(sp => new SnapClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(SnapClient.HttpClientName),
            sp.GetRequiredService<SnapAccessTokenProvider>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IExternalIdGenerator>()));
        return services;
    }

    // Timeouts are per provider (TimeoutSeconds), applied per call; HttpClient's own would be a second, blunter one.
    private static void ConfigureClient(HttpClient client) => client.Timeout = Timeout.InfiniteTimeSpan;

    // One long-lived pooled handler: connections are reused across calls (no per-call TLS handshake at
    // 3,000 calls/s), and PooledConnectionLifetime still lets DNS changes through. Redirects are not followed:
    // a redirected POST would change what was signed and sent.
    internal static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    };
}
