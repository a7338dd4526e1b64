using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// One headless Chromium per test class, from the distribution's packages (<c>chromium</c> and <c>chromium-driver</c>,
/// installed by build.sh): Selenium is pointed at both binaries, so it never looks for or downloads a browser. Waits are
/// explicit and generous: two busy cores make Chromium slow. Each test saves a screenshot under the test results.
/// </summary>
public sealed class ConsoleBrowser : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly ChromeDriverService _service;

    public ConsoleBrowser()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_BIN") ?? "/usr/bin/chromium";
        var driver = Environment.GetEnvironmentVariable("CHROMEDRIVER_BIN") ?? "/usr/bin/chromedriver";
        if (!File.Exists(chromium) || !File.Exists(driver))
        {
            throw new InvalidOperationException(
                $"The console's browser tests need {chromium} and {driver}: `apt-get install chromium chromium-driver` (build.sh does), or set CHROMIUM_BIN and CHROMEDRIVER_BIN.");
        }

        _service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        _service.HideCommandPromptWindow = true;
        _service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = chromium };
        // 1280 px is the width the console promises not to break at.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--lang=en-US");
        Driver = new ChromeDriver(_service, options, TimeSpan.FromMinutes(3));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromMinutes(2);
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromMinutes(1);
    }

    public ChromeDriver Driver { get; }

    /// <summary>Opens the console in a fresh state (nothing in this tab's sessionStorage) and signs in with <paramref name="key"/>.</summary>
    public void SignIn(Uri console, string key, string expectedName)
    {
        Driver.Navigate().GoToUrl(console);
        Driver.ExecuteScript("sessionStorage.clear(); localStorage.clear();");
        Driver.Navigate().Refresh();
        var input = Visible(By.Id("login-key"));
        input.SendKeys(key);
        input.SendKeys(Keys.Enter);
        WaitForText(By.Id("who-name"), expectedName);
        Visible(By.CssSelector("#view h2"));
    }

    public IWebElement Visible(By by) => Until(d => d.FindElements(by).FirstOrDefault(e => e.Displayed), $"{by} to be visible");

    public void WaitForText(By by, string text)
        => Until(d => d.FindElements(by).Any(e => e.Text.Contains(text, StringComparison.Ordinal)) ? "shown" : null, $"{by} to show '{text}'");

    /// <summary>Clicks the first visible match, again if the page redrew it in between.</summary>
    public void Click(By by) => Until(d =>
    {
        var e = d.FindElements(by).FirstOrDefault(x => x.Displayed && x.Enabled);
        if (e is null)
        {
            return null;
        }

        e.Click();
        return "clicked";
    }, $"{by} to be clickable");

    /// <summary>Replaces the text of an input or textarea by typing, as a person would.</summary>
    public void Type(By by, string text)
    {
        var e = Visible(by);
        e.Clear();
        e.SendKeys(text);
    }

    /// <summary>Waits until <paramref name="condition"/> returns non-null (Selenium waits on objects, never on a nullable bool).</summary>
    public T Until<T>(Func<IWebDriver, T?> condition, string what)
        where T : class
    {
        var wait = new WebDriverWait(Driver, Patience) { PollingInterval = TimeSpan.FromMilliseconds(250), Message = "Timed out waiting for " + what };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException), typeof(ElementNotInteractableException));
        return wait.Until(d => condition(d))!;
    }

    /// <summary>Saves the page as <c>.artifacts/test-results/screenshots/&lt;name&gt;.png</c> at the repository root.</summary>
    public string Screenshot(string name)
    {
        var dir = Path.Combine(RepositoryRoot(), ".artifacts", "test-results", "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RefundWorker.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        _service.Dispose();
    }
}
