namespace RefundWorker.Demo;

/// <summary>Where the demo finds the bus, the sandbox and (for the load figure) PostgreSQL.</summary>
public sealed record DemoSettings(string RabbitMqUri, Uri SandboxUrl, string? Postgres, TimeSpan Timeout)
{
    public static DemoSettings FromEnvironment(Uri sandboxUrl, TimeSpan timeout)
    {
        var rabbit = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq")
            ?? throw new InvalidOperationException("ConnectionStrings__RabbitMq is not set (an amqp:// URI); ./build.sh demo sets it.");
        return new DemoSettings(rabbit, sandboxUrl, Environment.GetEnvironmentVariable("ConnectionStrings__Postgres"), timeout);
    }
}
