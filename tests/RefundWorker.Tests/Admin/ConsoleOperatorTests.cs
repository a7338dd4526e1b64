using System.Text.Json;
using OpenQA.Selenium;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// The ops console in a real browser, signed in with an operator key, against a worker on real RabbitMQ and PostgreSQL:
/// replay a dead letter and watch its outcome, edit-and-replay a broken one (a still-broken edit is refused before it
/// is sent), resolve a NeedsReview refund (evidence, reason, confirmation), pause and resume a provider, and a hostile
/// dead-letter body shown as text.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleOperatorTests(ConsoleFixture fx, ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Should_replay_a_dead_letter_and_show_its_outcome_when_an_operator_signs_in()
    {
        // A poison message first, so MassTransit has declared the error queue; then a well-formed refund lands in that
        // queue as a transient failure would leave it: replayed as received, it succeeds.
        await fx.PoisonRefundAsync();
        var request = Requests.NicepayRefund(fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant));
        var messageId = Guid.NewGuid();
        await fx.PublishRawAsync(AdminFixture.Envelope(ConsoleFixture.RefundType, request, messageId), messageId.ToString(), queue: "refund-requested_error");
        var letter = await fx.LetterAsync(messageId.ToString());
        var fingerprint = await fx.Database.ScalarAsync<string>("SELECT fingerprint FROM dead_letters WHERE id = $1", letter);

        browser.SignIn(fx.ConsoleUrl, fx.OperatorKey, ConsoleFixture.OperatorName);
        var d = browser.Driver;
        // The key stays in this tab's sessionStorage: not in the URL, not in localStorage.
        Assert.Equal(fx.OperatorKey, d.ExecuteScript("return sessionStorage.getItem('refundworker.console.key');") as string);
        Assert.Equal(0L, Convert.ToInt64(d.ExecuteScript("return localStorage.length;"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain(fx.OperatorKey, d.Url, StringComparison.Ordinal);
        browser.WaitForText(By.Id("who-role"), "operator");
        browser.Visible(By.Id("card-dead-letters"));
        browser.Screenshot("console-overview");

        browser.Click(By.CssSelector("#nav a[data-view='dead-letters']"));
        browser.Click(By.CssSelector($"#dead-letter-groups tr[data-fingerprint='{fingerprint}'] a"));
        browser.Click(By.CssSelector($"#letters tr[data-letter='{letter}'] a"));
        browser.WaitForText(By.Id("letter-status"), "New");
        browser.Type(By.Id("letter-reason"), "transient broker fault; replay as received");
        browser.Click(By.Id("letter-replay"));

        browser.WaitForText(By.Id("letter-status"), "Replayed");
        browser.WaitForText(By.Id("replay-history"), ConsoleFixture.OperatorName);
        browser.WaitForText(By.Id("replay-outcome"), "Succeeded");
        browser.Screenshot("console-replay-outcome");
        Assert.DoesNotContain(fx.OperatorKey, d.Url, StringComparison.Ordinal);
        await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);
    }

    [Fact]
    public async Task Should_refuse_a_still_broken_edit_before_sending_and_replay_the_fixed_body()
    {
        var (letter, request) = await fx.PoisonRefundAsync();
        browser.SignIn(fx.ConsoleUrl, fx.OperatorKey, ConsoleFixture.OperatorName);
        browser.Driver.Navigate().GoToUrl(new Uri(fx.ConsoleUrl, $"#dead-letter/{letter}"));
        browser.WaitForText(By.Id("letter-status"), "New");
        // The editor starts from the message as received (not the envelope).
        Assert.Contains(request.PartnerRefundNo, browser.Visible(By.Id("letter-edit")).GetAttribute("value"), StringComparison.Ordinal);
        browser.Type(By.Id("letter-reason"), "order system sent no externalId; filled in from the order");

        browser.Type(By.Id("letter-edit"), JsonSerializer.Serialize(new { request.RequestId, request.Provider }, Web));
        browser.Click(By.Id("letter-replay-edited"));
        browser.WaitForText(By.Id("edit-error"), "body");
        Assert.Equal("New", browser.Visible(By.Id("letter-status")).Text);
        Assert.Equal(0, await fx.Database.ScalarAsync<int>("SELECT replay_count FROM dead_letters WHERE id = $1", letter));

        browser.Type(By.Id("letter-edit"), JsonSerializer.Serialize(request, Web));
        browser.Click(By.Id("letter-replay-edited"));
        browser.WaitForText(By.Id("letter-status"), "Replayed");
        browser.WaitForText(By.Id("replay-outcome"), "Succeeded");
        browser.WaitForText(By.Id("replay-history"), "yes");
        browser.Screenshot("console-edit-and-replay");
        var succeeded = await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId);
        Assert.Equal(request.Amount, succeeded.Amount);
    }

    [Fact]
    public async Task Should_resolve_a_NeedsReview_refund_only_with_evidence_a_reason_and_a_confirmation()
    {
        var (id, request) = await fx.NeedsReviewRefundAsync();
        browser.SignIn(fx.ConsoleUrl, fx.OperatorKey, ConsoleFixture.OperatorName);

        browser.Click(By.CssSelector("#nav a[data-view='operations']"));
        var search = browser.Visible(By.Id("op-search"));
        search.SendKeys(request.PartnerRefundNo);
        search.SendKeys(Keys.Enter);
        browser.Click(By.CssSelector($"#operations-table tr[data-operation='{id}'] a"));
        browser.WaitForText(By.Id("op-state-value"), "NeedsReview");

        // Nothing filled in: refused in the page, nothing sent.
        browser.Click(By.Id("resolve-submit"));
        browser.WaitForText(By.Id("resolve-error"), "Required");
        browser.Click(By.Id("resolve-succeeded"));
        browser.Type(By.Id("resolve-reference"), "NICEPAY-REF-55120");
        browser.Type(By.Id("resolve-evidence"), "NICEPAY settlement report 2026-11-30 line 88 shows the refund");
        browser.Type(By.Id("resolve-reason"), "provider confirmed by email, ticket OPS-77");
        browser.Click(By.Id("resolve-submit"));
        browser.WaitForText(By.Id("resolve-confirm-text"), "RefundSucceeded");
        Assert.Equal("NeedsReview", await fx.Database.ScalarAsync<string>("SELECT state FROM operations WHERE id = $1", id));
        browser.Screenshot("console-resolve-confirm");
        browser.Click(By.Id("resolve-confirm"));

        browser.WaitForText(By.Id("op-state-value"), "Succeeded");
        browser.WaitForText(By.Id("timeline"), "operation.resolve");
        browser.Screenshot("console-resolved");
        // The request's first event was its RefundNeedsReview; the resolution publishes a RefundSucceeded after it.
        var succeeded = await AdminFixture.EventuallyAsync(
            () => Task.FromResult(fx.Outcomes.For(request.RequestId).Select(e => e.Message).OfType<RefundSucceeded>().FirstOrDefault()),
            WorkerFixture.OutcomeTimeout, nameof(RefundSucceeded));
        Assert.Equal("NICEPAY-REF-55120", succeeded.ReferenceNo);
        Assert.Equal(ConsoleFixture.OperatorName, await fx.Database.ScalarAsync<string>("SELECT resolved_by FROM operation_resolutions WHERE operation_id = $1", id));
    }

    [Fact]
    public async Task Should_pause_and_resume_a_provider_with_a_reason_and_show_both_in_the_audit_log()
    {
        const string provider = WorkerFixture.RateLimitedProvider;
        var row = $"#providers-table tr[data-provider='{provider}']";
        browser.SignIn(fx.ConsoleUrl, fx.OperatorKey, ConsoleFixture.OperatorName);
        browser.Click(By.CssSelector("#nav a[data-view='providers']"));

        browser.Click(By.CssSelector($"{row} form[data-action='pause'] button"));
        browser.WaitForText(By.CssSelector(row), "A reason is required");
        browser.Type(By.CssSelector($"{row} form[data-action='pause'] input"), "provider incident INC-9: 5xx storm");
        browser.Click(By.CssSelector($"{row} form[data-action='pause'] button"));
        browser.WaitForText(By.CssSelector(row), "paused");
        browser.WaitForText(By.CssSelector(row), "INC-9");
        Assert.True(await fx.Database.ScalarAsync<bool>("SELECT paused FROM provider_pauses WHERE provider = $1", provider));
        browser.Screenshot("console-provider-paused");

        browser.Type(By.CssSelector($"{row} form[data-action='resume'] input"), "INC-9 closed by the provider");
        browser.Click(By.CssSelector($"{row} form[data-action='resume'] button"));
        browser.Visible(By.CssSelector($"{row} form[data-action='pause']"));
        Assert.False(await fx.Database.ScalarAsync<bool>("SELECT paused FROM provider_pauses WHERE provider = $1", provider));

        browser.Click(By.CssSelector("#nav a[data-view='audit']"));
        browser.Type(By.Id("audit-target"), $"provider:{provider}");
        browser.Click(By.Id("audit-filter"));
        browser.WaitForText(By.Id("audit-table"), "provider.resume");
        var audit = browser.Visible(By.Id("audit-table")).Text;
        Assert.Contains("provider.pause", audit, StringComparison.Ordinal);
        Assert.Contains("INC-9 closed by the provider", audit, StringComparison.Ordinal);
        browser.Screenshot("console-audit");
    }

    [Fact]
    public async Task Should_show_a_hostile_dead_letter_body_as_text_and_run_none_of_it()
    {
        const string hostile = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"><b>bold</b>";
        var messageId = Guid.NewGuid();
        await fx.PublishRawAsync(System.Text.Encoding.UTF8.GetBytes(hostile), messageId.ToString());
        var letter = await fx.LetterAsync(messageId.ToString());

        browser.SignIn(fx.ConsoleUrl, fx.OperatorKey, ConsoleFixture.OperatorName);
        browser.Driver.Navigate().GoToUrl(new Uri(fx.ConsoleUrl, $"#dead-letter/{letter}"));
        browser.WaitForText(By.Id("letter-body"), "onerror");

        var d = browser.Driver;
        Assert.Equal(hostile, d.ExecuteScript("return document.getElementById('letter-body').textContent;") as string);
        Assert.Equal(0L, Convert.ToInt64(d.ExecuteScript("return document.querySelectorAll('#view img, #view script, #view b').length;"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(d.ExecuteScript("return window.__pwned === undefined ? null : window.__pwned;"));
        // The groups list and the letter's fault show attacker-controlled text too.
        browser.Click(By.CssSelector("#nav a[data-view='dead-letters']"));
        browser.Visible(By.Id("dead-letter-groups"));
        Assert.Equal(0L, Convert.ToInt64(d.ExecuteScript("return document.querySelectorAll('#view img, #view script, #view b').length;"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(d.ExecuteScript("return window.__pwned === undefined ? null : window.__pwned;"));
        browser.Screenshot("console-hostile-body");
    }
}
