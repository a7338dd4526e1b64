using RefundWorker.Extensions;
using RefundWorker.Inbound;

namespace RefundWorker;

/// <summary>
/// Builds the worker host: the refund/cancel pipeline, the health endpoints and the inbound SNAP endpoints NICEPAY
/// calls (Inbound/). Program.cs runs it; tests build it in-process with their own configuration.
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
        builder.AddInboundSnap();
        builder.AddMessaging(bus => bus.AddInboundConsumers());
        builder.AddWorker();
        builder.Services.AddHostedService<StopConsumingFirst>();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapInboundSnap();
        return app;
    }
}
