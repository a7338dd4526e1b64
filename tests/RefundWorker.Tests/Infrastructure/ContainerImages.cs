namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// Which images the container path runs. Each is a setting (environment variable); unset, the fixture takes the image
/// that `./build.sh images` builds from Debian packages when the engine has it (no registry needed), and otherwise
/// the official Docker Hub image, which a laptop with Docker pulls by itself.
/// </summary>
public static class ContainerImages
{
    /// <summary>Built by deploy/images/build-images.sh: Debian 12's postgresql (15) with an entrypoint that honours
    /// POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB like the official image.</summary>
    public const string LocalPostgres = "localhost/refundworker-postgres:15";

    /// <summary>Built by deploy/images/build-images.sh: Debian 12's rabbitmq-server with the management plugin, logging
    /// to stdout and honouring RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS like the official image.</summary>
    public const string LocalRabbitMq = "localhost/refundworker-rabbitmq:3";

    /// <summary>Docker Hub's images. RabbitMQ's must be a -management tag: the fixtures create a vhost per test class
    /// through the management API.</summary>
    public const string HubPostgres = "postgres:16";

    public const string HubRabbitMq = "rabbitmq:3.13-management";

    public const string PostgresVariable = "RefundWorker__Tests__PostgresImage";

    public const string RabbitMqVariable = "RefundWorker__Tests__RabbitMqImage";

    public static async Task<string> PostgresAsync(Uri engine) => await ChooseAsync(engine, PostgresVariable, LocalPostgres, HubPostgres);

    public static async Task<string> RabbitMqAsync(Uri engine) => await ChooseAsync(engine, RabbitMqVariable, LocalRabbitMq, HubRabbitMq);

    private static async Task<string> ChooseAsync(Uri engine, string variable, string local, string hub)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured)
        {
            // A localhost/ image can only come from a local build: say so, rather than let the engine try to pull it.
            if (configured.StartsWith("localhost/", StringComparison.Ordinal) && !await ContainerEngine.HasImageAsync(engine, configured))
            {
                throw new InvalidOperationException(
                    $"{variable} names {configured}, which the container engine at {engine} does not have: build it with `./build.sh images` (deploy/images/build-images.sh).");
            }

            return configured;
        }

        return await ContainerEngine.HasImageAsync(engine, local) ? local : hub;
    }
}
