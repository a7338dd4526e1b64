using RefundWorker.Extensions;

namespace RefundWorker;

/// <summary>
/// Builds the worker host. Program.cs runs it; tests build it in-process with their own configuration.
/// </summary>
public static class WorkerApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.AddServiceDefaults();
        builder.AddPersistence();
        builder.AddSnapProviders();
        builder.AddMessaging();
        builder.AddWorker();
        builder.Services.AddHostedService<StopConsumingFirst>();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        return app;
    }
}
