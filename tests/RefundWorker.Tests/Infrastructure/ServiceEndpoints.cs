namespace RefundWorker.Tests.Infrastructure;

/// <summary>
/// Where the real PostgreSQL and RabbitMQ are: <see cref="EnvironmentServiceEndpoints"/> reads the variables ./build.sh
/// exports, <see cref="ContainerServiceEndpoints"/> starts the servers in containers; <see cref="ServiceEndpointResolver"/>
/// chooses, and nothing else in the fixtures changes.
/// </summary>
public interface IServiceEndpoints
{
    /// <summary>An Npgsql connection string whose role may CREATE DATABASE.</summary>
    string PostgresAdmin { get; }

    /// <summary>amqp URI of a user allowed to create virtual hosts (management "administrator" tag).</summary>
    Uri RabbitMq { get; }

    /// <summary>The RabbitMQ management API, e.g. http://127.0.0.1:15672.</summary>
    Uri RabbitMqManagement { get; }
}

/// <summary>ConnectionStrings__Postgres, ConnectionStrings__RabbitMq and RabbitMq__ManagementUrl, with the local
/// defaults of ./build.sh when unset.</summary>
public sealed class EnvironmentServiceEndpoints : IServiceEndpoints
{
    public static EnvironmentServiceEndpoints FromEnvironment() => new();

    public string PostgresAdmin { get; } = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 } pg
        ? pg
        : "Host=127.0.0.1;Port=5432;Username=refundworker;Password=refundworker;Database=refundworker";

    public Uri RabbitMq { get; } = new(Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") is { Length: > 0 } mq
        ? mq
        : "amqp://refundworker:refundworker@127.0.0.1:5672/");

    public Uri RabbitMqManagement { get; } = new(Environment.GetEnvironmentVariable("RabbitMq__ManagementUrl") is { Length: > 0 } m
        ? m
        : "http://127.0.0.1:15672");
}
