using OpenQA.Selenium;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// A reader key sees everything and is offered nothing that changes state: on the pages where an operator gets replay,
/// discard, edit, bulk, resolve, reconcile, pause or resume, a reader's page has no such control at all.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleReaderTests(ConsoleFixture fx, ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    /// <summary>What an operator sees on these pages and a reader must not: every state-changing control of the console.</summary>
    private const string ChangeControls =
        "#letter-replay, #letter-discard, #letter-edit, #letter-replay-edited, #letter-validate, #bulk-replay, #bulk-replay-dry, #bulk-discard, " +
        "#bulk-discard-dry, #resolve-form, #resolve-submit, #reconcile-submit, form[data-action], #providers-table button, #providers-table input";

    [Fact]
    public async Task Should_show_a_reader_every_page_without_a_single_button_that_changes_state()
    {
        var (letter, _) = await fx.PoisonRefundAsync();
        var fingerprint = await fx.Database.ScalarAsync<string>("SELECT fingerprint FROM dead_letters WHERE id = $1", letter);
        var (operation, _) = await fx.NeedsReviewRefundAsync();
        var d = browser.Driver;

        // The same pages with the operator's key do show the controls: the reader's absence below is the role, not a broken page.
        browser.SignIn(fx.ConsoleUrl, fx.OperatorKey, ConsoleFixture.OperatorName);
        d.Navigate().GoToUrl(new Uri(fx.ConsoleUrl, $"#operation/{operation}"));
        browser.Visible(By.Id("resolve-submit"));
        d.Navigate().GoToUrl(new Uri(fx.ConsoleUrl, $"#dead-letter/{letter}"));
        browser.Visible(By.Id("letter-replay"));

        browser.SignIn(fx.ConsoleUrl, fx.ReaderKey, ConsoleFixture.ReaderName);
        browser.WaitForText(By.Id("who-role"), "read-only");

        d.Navigate().GoToUrl(new Uri(fx.ConsoleUrl, "#providers"));
        browser.WaitForText(By.Id("providers-table"), "nicepay");
        Assert.Empty(d.FindElements(By.CssSelector(ChangeControls)));

        d.Navigate().GoToUrl(new Uri(fx.ConsoleUrl, $"#dead-letter-group/{fingerprint}"));
        browser.Visible(By.CssSelector($"#letters tr[data-letter='{letter}']"));
        Assert.Empty(d.FindElements(By.CssSelector(ChangeControls)));

        d.Navigate().GoToUrl(new Uri(fx.ConsoleUrl, $"#dead-letter/{letter}"));
        browser.Visible(By.Id("letter-body"));
        Assert.Empty(d.FindElements(By.CssSelector(ChangeControls)));

        d.Navigate().GoToUrl(new Uri(fx.ConsoleUrl, $"#operation/{operation}"));
        browser.WaitForText(By.Id("op-state-value"), "NeedsReview");
        Assert.Empty(d.FindElements(By.CssSelector(ChangeControls)));
        browser.Screenshot("console-reader-needs-review");

        // Everything is visible, nothing changes: no button anywhere in the view.
        Assert.Empty(d.FindElements(By.CssSelector("#view button")));
        Assert.Equal("NeedsReview", await fx.Database.ScalarAsync<string>("SELECT state FROM operations WHERE id = $1", operation));
    }
}
