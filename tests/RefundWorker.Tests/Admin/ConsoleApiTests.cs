using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using RefundWorker.Admin.Ui;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// What the console stands on, over plain HTTP: the page and its assets come from the binary with a strict
/// Content-Security-Policy and no key; /admin/me, /admin/summary and the body dry-run need a key like every admin route;
/// the dry-run refuses a broken body naming the field and changes nothing.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ConsoleApiTests(ConsoleFixture fx)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Should_serve_the_embedded_page_with_a_strict_content_security_policy_and_no_inline_script()
    {
        using var http = fx.Client(key: null);
        using var redirect = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = http.BaseAddress }.GetAsync("/admin/ui");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/admin/ui/", redirect.Headers.Location!.OriginalString);

        using var page = await http.GetAsync("/admin/ui/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(AdminConsole.ContentSecurityPolicy, csp);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        var html = await page.Content.ReadAsStringAsync();
        // Every script has a src (no inline code), no inline handlers or styles, nothing loaded from another origin.
        Assert.All(ScriptTag().Matches(html), m => Assert.Contains("src=", m.Value, StringComparison.Ordinal));
        Assert.DoesNotMatch(InlineHandler(), html);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(ExternalUrl(), html);

        foreach (var (asset, type) in new[] { ("console.js", "text/javascript"), ("console.css", "text/css"), ("favicon.svg", "image/svg+xml") })
        {
            using var r = await http.GetAsync("/admin/ui/" + asset);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(type, r.Content.Headers.ContentType!.MediaType);
            Assert.Equal(AdminConsole.ContentSecurityPolicy, r.Headers.GetValues("Content-Security-Policy").Single());
        }

        var script = await http.GetStringAsync("/admin/ui/console.js");
        // The page renders attacker-controlled text: it must never parse it as HTML, nor keep the key beyond the tab.
        Assert.DoesNotContain("innerHTML", script, StringComparison.Ordinal);
        Assert.DoesNotContain("outerHTML", script, StringComparison.Ordinal);
        Assert.DoesNotContain("insertAdjacentHTML", script, StringComparison.Ordinal);
        Assert.DoesNotContain("document.write", script, StringComparison.Ordinal);
        Assert.DoesNotContain("localStorage", script, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/admin/ui/appsettings.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/admin/ui/..%2Fappsettings.json")).StatusCode);
    }

    [Fact]
    public async Task Should_tell_each_key_its_role_and_refuse_the_console_routes_without_a_key()
    {
        using var anonymous = fx.Client(key: null);
        foreach (var path in new[] { "/admin/me", "/admin/summary" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/admin/dead-letters/{Guid.NewGuid()}/validate", new { body = new { } })).Status);

        using var op = fx.Client(fx.OperatorKey);
        var (_, me) = await op.GetJsonAsync("/admin/me");
        Assert.Equal(ConsoleFixture.OperatorName, me.Str("name"));
        Assert.True(me.GetProperty("mayChange").GetBoolean());
        Assert.Equal(ConsoleFixture.GrafanaTraceUrl, me.Str("grafanaTraceUrl"));

        using var reader = fx.Client(fx.ReaderKey);
        var (_, readerMe) = await reader.GetJsonAsync("/admin/me");
        Assert.Equal("reader", readerMe.Str("role"));
        Assert.False(readerMe.GetProperty("mayChange").GetBoolean());
    }

    [Fact]
    public async Task Should_summarise_operations_NeedsReview_dead_letters_providers_and_the_outbox()
    {
        var (operation, request) = await fx.NeedsReviewRefundAsync();
        var (letter, _) = await fx.PoisonRefundAsync();
        var fingerprint = await fx.Database.ScalarAsync<string>("SELECT fingerprint FROM dead_letters WHERE id = $1", letter);
        using var reader = fx.Client(fx.ReaderKey);

        var (status, s) = await reader.GetJsonAsync("/admin/summary");

        Assert.Equal(HttpStatusCode.OK, status);
        var needsReview = await fx.Database.ScalarAsync<long>("SELECT count(*) FROM operations WHERE state = 'NeedsReview'");
        Assert.Equal(needsReview, s.GetProperty("needsReview").GetInt64());
        Assert.Contains(s.GetProperty("operations").EnumerateArray(),
            o => o.Str("provider") == request.Provider && o.Str("state") == "NeedsReview" && o.GetProperty("count").GetInt64() >= 1);
        var group = Assert.Single(s.GetProperty("deadLetterGroups").EnumerateArray(), g => g.Str("fingerprint") == fingerprint);
        var newInGroup = await fx.Database.ScalarAsync<long>("SELECT count(*) FROM dead_letters WHERE fingerprint = $1 AND status = 'New'", fingerprint);
        Assert.Equal(newInGroup, group.GetProperty("count").GetInt64());
        Assert.Equal(await fx.Database.ScalarAsync<long>("SELECT count(*) FROM dead_letters WHERE status = 'New'"), s.GetProperty("deadLettersNew").GetInt64());
        var providers = s.GetProperty("providers").EnumerateArray().ToList();
        Assert.Equal(fx.Sandbox.Providers.Count, providers.Count);
        Assert.All(providers, p => Assert.Contains(p.Str("circuit"), new[] { "closed", "open", "half-open", "unused" }));
        Assert.True(s.GetProperty("outbox").GetProperty("unsent").GetInt64() >= 0);
        Assert.NotEqual(Guid.Empty, operation);
    }

    [Fact]
    public async Task Should_refuse_a_broken_edited_body_naming_the_field_and_accept_the_fixed_one_without_replaying()
    {
        var (letter, request) = await fx.PoisonRefundAsync();
        using var op = fx.Client(fx.OperatorKey);

        var (bad, problem) = await op.PostAsync($"/admin/dead-letters/{letter}/validate", new { body = new { request.RequestId } });
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.StartsWith("body", problem.Str("field"), StringComparison.Ordinal);

        var (notObject, _) = await op.PostAsync($"/admin/dead-letters/{letter}/validate", new { body = "[]" });
        Assert.Equal(HttpStatusCode.BadRequest, notObject);

        var (ok, valid) = await op.PostAsync($"/admin/dead-letters/{letter}/validate", new { body = JsonSerializer.SerializeToElement(request, Web) });
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.True(valid.GetProperty("valid").GetBoolean());
        Assert.Equal("RefundRequested", valid.Str("contract"));

        // A dry run: the letter is untouched and nothing was published.
        Assert.Equal("New", await fx.Database.ScalarAsync<string>("SELECT status FROM dead_letters WHERE id = $1", letter));
        Assert.Equal(0, await fx.Database.ScalarAsync<int>("SELECT replay_count FROM dead_letters WHERE id = $1", letter));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(fx.Outcomes.For(request.RequestId));

        var (missing, _) = await op.PostAsync($"/admin/dead-letters/{Guid.NewGuid()}/validate", new { body = JsonSerializer.SerializeToElement(request, Web) });
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public void Should_write_no_operator_key_to_any_log_line()
    {
        // Runs with the rest of the collection; whatever ran before it (browser sign-ins included) logged through here.
        Assert.NotEmpty(fx.Logs.Lines);
        Assert.DoesNotContain(fx.Logs.Lines, l => l.Contains(fx.OperatorKey, StringComparison.Ordinal) || l.Contains(fx.ReaderKey, StringComparison.Ordinal));
    }

    [GeneratedRegex("<script[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();

    [GeneratedRegex(@"(src|href)\s*=\s*""(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalUrl();
}
