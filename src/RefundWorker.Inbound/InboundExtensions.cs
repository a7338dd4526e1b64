using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RefundWorker.Inbound.Consumers;
using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>
/// Wiring of the SNAP endpoints NICEPAY calls (docs/protocol.md#cvs-inquiry). The host adds
/// <c>builder.AddInboundSnap(…)</c> with a factory of the scope's <see cref="InboundDatabase"/>,
/// <c>app.UseInboundSnap()</c> (the rate limiter) and <c>app.MapInboundSnap()</c>, and
/// <c>AddInboundConsumers()</c> in its bus registration; it binds <see cref="IInboundOutbox"/>,
/// <see cref="IInboundDatabaseGate"/> and <see cref="IInboundReceiveEndpoints"/>, and applies
/// <see cref="Persistence.InboundModel.Configure"/> in its model.
/// </summary>
public static class InboundExtensions
{
    public const string TokenPath = "/api/v1.0/access-token/b2b";

    /// <summary>Options (validated at start, errors name the key), partner keys, token and inquiry services.</summary>
    /// <param name="database">The scope's <see cref="InboundDatabase"/>: the host builds it on the inbound's own pool.</param>
    public static IHostApplicationBuilder AddInboundSnap(this IHostApplicationBuilder builder, Func<IServiceProvider, InboundDatabase> database)
    {
        var services = builder.Services;
        services.AddOptions<InboundOptions>().BindConfiguration(InboundOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<InboundOptions>, InboundOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<InboundPartnerRegistry>();
        services.AddHostedService<InboundStartupWarnings>();
        services.AddHostedService<InboundRetention>();
        services.AddRateLimiter(InboundRateLimits.Configure);
        // The stores take a plain DbContext: the scope's inbound context, the one the host's outbox binding writes
        // through, so an inquiry record and its CvsInquiryAnswered event commit together.
        services.AddScoped(database);
        static DbContext InboundDb(IServiceProvider sp) => sp.GetRequiredService<InboundDatabase>().Context;
        services.AddScoped(sp => new InboundTokenStore(InboundDb(sp), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<InboundTokenStore>>()));
        services.AddScoped(sp => new CvsPaymentCodeStore(InboundDb(sp), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped(sp => new CvsInquiryStore(InboundDb(sp), sp.GetRequiredService<IInboundOutbox>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CvsInquiryStore>>()));
        services.AddScoped<AccessTokenHandler>();
        services.AddScoped<CvsInquiryHandler>();
        return builder;
    }

    /// <summary>The two consumers that keep payment codes in PostgreSQL.</summary>
    public static IBusRegistrationConfigurator AddInboundConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<CvsPaymentCodeIssuedConsumer, CvsPaymentCodeIssuedConsumerDefinition>();
        bus.AddConsumer<CvsPaymentCodeClosedConsumer, CvsPaymentCodeClosedConsumerDefinition>();
        return bus;
    }

    /// <summary>The rate limiter the inbound endpoints' policy runs in; in the pipeline before the endpoints.</summary>
    public static IApplicationBuilder UseInboundSnap(this IApplicationBuilder app) => app.UseRateLimiter();

    /// <summary>Maps <c>POST /api/v1.0/access-token/b2b</c> and <c>POST /api/v1.0/cvs/inquiry</c>.</summary>
    public static IEndpointRouteBuilder MapInboundSnap(this IEndpointRouteBuilder app)
    {
        app.MapPost(TokenPath, (HttpContext http, AccessTokenHandler handler) =>
                AnswerAsync(http, "token", ServiceCodes.Token, ct => handler.HandleAsync(http.Request, ct)))
            .WithName("InboundAccessToken")
            .RequireRateLimiting(InboundRateLimits.PolicyName);
        app.MapPost(CvsInquiryHandler.Path, (HttpContext http, CvsInquiryHandler handler) =>
                AnswerAsync(http, "cvs-inquiry", ServiceCodes.CvsInquiry, ct => handler.HandleAsync(http.Request, ct)))
            .WithName("InboundCvsInquiry")
            .RequireRateLimiting(InboundRateLimits.PolicyName);
        return app;
    }

    private static async Task AnswerAsync(HttpContext http, string endpoint, int service, Func<CancellationToken, Task<SnapAnswer>> handle)
    {
        SnapAnswer answer;
        try
        {
            answer = await handle(http.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            // The partner gets SNAP's general error; the cause goes to our log. Exceptions here carry no token or
            // secret: those never enter exception messages in this folder.
            http.RequestServices.GetRequiredService<ILoggerFactory>()
                .CreateLogger(typeof(InboundExtensions))
                .LogError(ex, "Inbound {Path} failed", http.Request.Path.Value);
            answer = InboundErrors.GeneralError(service);
        }

        await WriteAnswerAsync(http, endpoint, answer, http.RequestAborted);
    }

    internal static async Task WriteAnswerAsync(HttpContext http, string endpoint, SnapAnswer answer, CancellationToken ct)
    {
        InboundTelemetry.Answers.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("response_code", answer.Code.ToString()));

        // SNAP answers carry X-TIMESTAMP like requests do.
        http.Response.Headers["X-TIMESTAMP"] = SnapTimestamp.Now(http.RequestServices.GetRequiredService<TimeProvider>());
        http.Response.StatusCode = answer.HttpStatus;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = answer.Body.Length;
        await http.Response.Body.WriteAsync(answer.Body, ct);
    }
}
