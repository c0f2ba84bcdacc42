using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Browser;

/// <summary>
/// The jobs page in a real headless Chromium against the real stack: submit a document through the form, watch
/// its bar reach 100% from the event stream, and keep a screenshot under the test output.
/// </summary>
[Collection(StackCollection.Name)]
public sealed partial class JobsPageTests(ShieldStackFixture stack)
{
    [Fact]
    public async Task A_document_submitted_through_the_page_shows_its_progress_bar_reaching_100_percent_without_polling()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium.ExecutablePath(),
            Headless = true,
            Args = ["--no-sandbox"], // CI runs as root, where Chromium's sandbox cannot start
        });
        var page = await browser.NewPageAsync(new() { BaseURL = stack.Api.BaseAddress!.ToString() });
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(new Uri(request.Url).PathAndQuery);

        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");

        await page.FillAsync("#text", "Shield's jobs page, first chunk.\n\nSecond chunk, after a blank line.\n\nThird and last chunk.");
        await page.FillAsync("#source-type", "browser");
        await page.FillAsync("#api-key", stack.ApiKey);
        await page.ClickAsync("button[type=submit]");

        await Assertions.Expect(page.Locator("#submit-result")).ToHaveTextAsync(AcceptedPattern());
        var jobId = AcceptedPattern().Match(await page.Locator("#submit-result").InnerTextAsync()).Groups["id"].Value;
        var row = page.Locator($"tr[data-job-id='{jobId}']");
        await Assertions.Expect(row.Locator(".pct")).ToHaveTextAsync("100%", new() { Timeout = 60_000 });
        await Assertions.Expect(row.Locator(".status")).ToHaveTextAsync("completed");
        await Assertions.Expect(row.Locator(".counts")).ToHaveTextAsync("3 processed, 0 failed of 3");

        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, "jobs-page.png"), FullPage = true });

        // Live by events: the list was read once, and the job itself only when its terminal event arrived.
        Assert.Equal(1, requests.Count(r => r.StartsWith("/jobs?", StringComparison.Ordinal)));
        Assert.Contains(requests, r => r.StartsWith("/events/stream", StringComparison.Ordinal));
        Assert.True(requests.Count(r => r == $"/jobs/{jobId}") <= 1, string.Join("\n", requests));
    }

    [Fact]
    public async Task A_submission_the_Api_refuses_is_shown_as_its_problem_detail()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium.ExecutablePath(), Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { BaseURL = stack.Api.BaseAddress!.ToString() });

        await page.GotoAsync("/");
        await page.FillAsync("#text", "A chunk sent without the API key.");
        await page.FillAsync("#api-key", "");
        await page.ClickAsync("button[type=submit]");

        await Assertions.Expect(page.Locator("#submit-result")).ToHaveTextAsync(new Regex("^401: "));
    }

    [GeneratedRegex("Accepted job (?<id>[0-9a-f-]{36})")]
    private static partial Regex AcceptedPattern();
}

/// <summary>
/// The Chromium to drive: <c>SHIELD_CHROMIUM</c>, else Debian's <c>chromium</c> (what <c>.ci/run</c> installs), else
/// null, which lets Playwright use a browser it installed itself (<c>playwright install chromium</c>).
/// </summary>
public static class Chromium
{
    public static string? ExecutablePath()
    {
        if (Environment.GetEnvironmentVariable("SHIELD_CHROMIUM") is { Length: > 0 } configured) return configured;
        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
    }
}
