using Microsoft.Extensions.Options;
using RefundWorker.Admin.Ui;

namespace RefundWorker.Admin;

/// <summary>
/// The on-call tools: <c>builder.AddAdmin()</c> and <c>app.MapAdmin()</c>. Provider pauses are always read (a pause set
/// before the API was turned off still holds); the admin API and the dead-letter drain run only when at least one
/// operator is configured (<c>Admin:Operators</c>).
/// </summary>
public static class AdminExtensions
{
    public static IHostApplicationBuilder AddAdmin(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        services.AddSingleton<ProviderPauses>();
        services.AddHostedService(sp => sp.GetRequiredService<ProviderPauses>());

        var enabled = builder.Configuration.GetSection(AdminOptions.SectionName + ":Operators").GetChildren().Any();
        if (!enabled)
        {
            return builder;
        }

        services.AddSingleton<AdminAuthenticator>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<DeadLetterPublisher>();
        services.AddSingleton<DeadLetterReplayer>();
        services.AddSingleton<DeadLetterAdmin>();
        services.AddSingleton<AdminJobs>();
        services.AddSingleton<OperationAdmin>();
        services.AddSingleton<AdminSummary>();
        services.AddSingleton<DeadLetterDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<DeadLetterDrain>());
        services.AddProblemDetails();
        return builder;
    }

    /// <summary>Maps <c>/admin/*</c> when enabled; with <c>Admin:Urls</c>, only on that listener.</summary>
    public static WebApplication MapAdmin(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AdminOptions>>().Value;
        if (!options.Enabled)
        {
            return app;
        }

        var group = app.MapAdminApi().MapAdminConsoleApi();
        // The ops console: a static page over the API above, on the same listener.
        var console = app.MapAdminConsole();
        if (options.Urls is { Length: > 0 } urls)
        {
            var own = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // Adding a listener replaces the configured ones, so those are added back first.
            if (app.Urls.Count == 0)
            {
                var main = app.Configuration["urls"] ?? app.Configuration["ASPNETCORE_URLS"] ?? "http://localhost:5000";
                foreach (var url in main.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    app.Urls.Add(url);
                }
            }

            foreach (var url in own)
            {
                app.Urls.Add(url);
            }

            string[] hosts = [.. own.Select(u => "*:" + new Uri(u.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal)).Port)];
            group.RequireHost(hosts);
            console.RequireHost(hosts);
        }

        return app;
    }
}
