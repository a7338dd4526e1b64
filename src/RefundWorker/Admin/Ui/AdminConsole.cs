using System.Collections.Frozen;
using System.Reflection;

namespace RefundWorker.Admin.Ui;

/// <summary>
/// The ops console at <c>/admin/ui</c>: a static page over the admin API, shipped inside the worker's assembly (embedded
/// resources), so it works on a network with no internet and cannot drift from the API it was built with. The page
/// itself needs no key (it holds nothing); every call it makes to <c>/admin/*</c> carries the operator's key.
/// </summary>
public static class AdminConsole
{
    public const string Path = "/admin/ui";

    /// <summary>
    /// No inline script or style, nothing from another origin, no framing, no form posts, no plugins. A dead letter's body
    /// is attacker-controlled; the page renders it as text, and this policy is the second line if that ever slips.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, (string Resource, string ContentType)> Assets = new Dictionary<string, (string, string)>
    {
        ["index.html"] = ("index.html", "text/html; charset=utf-8"),
        ["console.css"] = ("console.css", "text/css; charset=utf-8"),
        ["console.js"] = ("console.js", "text/javascript; charset=utf-8"),
        ["favicon.svg"] = ("favicon.svg", "image/svg+xml"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, byte[]> Content = Assets.Values.ToFrozenDictionary(a => a.Resource, a => Read(a.Resource), StringComparer.Ordinal);

    public static RouteGroupBuilder MapAdminConsole(this IEndpointRouteBuilder app)
    {
        var ui = app.MapGroup(Path);
        // One endpoint matches both "/admin/ui" and "/admin/ui/" (routing ignores a trailing slash). The page's relative
        // asset and API URLs need the slash, so the bare path redirects to it.
        ui.MapGet(string.Empty, (HttpContext http) =>
            http.Request.Path.Value!.EndsWith('/') ? Serve(http, "index.html") : Results.Redirect(http.Request.PathBase + Path + "/"));
        ui.MapGet("/{file}", (HttpContext http, string file) => Serve(http, file));
        return ui;
    }

    private static IResult Serve(HttpContext http, string file)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        // Small files; no-store keeps a console from running an old script against a newer API after an upgrade.
        headers.CacheControl = "no-store";
        return Results.Bytes(Content[asset.Resource], asset.ContentType);
    }

    private static byte[] Read(string name)
    {
        var assembly = typeof(AdminConsole).Assembly;
        var resource = "RefundWorker.Admin.Ui." + name;
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The console asset {resource} is not embedded in {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
