using RefundWorker.Admin;
using RefundWorker.Extensions;
using RefundWorker.Inbound;
using RefundWorker.InboundHosting;

namespace RefundWorker;

/// <summary>
/// Builds the worker host: the refund/cancel pipeline, the health endpoints, the inbound SNAP endpoints NICEPAY
/// calls (RefundWorker.Inbound, wired by InboundHosting/) and the on-call admin API (Admin/). Program.cs runs it; tests build it in-process with their own configuration.
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
        builder.AddInbound();
        builder.AddMessaging(bus => bus.AddInboundConsumers());
        // Before the worker: provider pauses are loaded before the scheduler claims anything.
        builder.AddAdmin();
        builder.AddWorker();
        builder.Services.AddHostedService<StopConsumingFirst>();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.UseInboundSnap();
        app.MapInboundSnap();
        app.MapAdmin();
        return app;
    }
}
