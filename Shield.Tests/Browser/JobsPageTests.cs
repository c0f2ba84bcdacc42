using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Browser;

/// <summary>
/// The jobs page in a real headless Chromium against the real stack: signed out it shows only the sign-in form and
/// the Api refuses its calls; signed in (the key traded for a session cookie) it streams progress from
/// <c>/events/stream</c> and submits through the form. Screenshots are kept under the test output.
/// </summary>
[Collection(StackCollection.Name)]
public sealed partial class JobsPageTests(ShieldStackFixture stack)
{
    [Fact]
    public async Task Signed_out_the_page_shows_only_the_sign_in_form_and_the_Api_refuses_its_calls()
    {
        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync(new() { BaseURL = stack.Api.BaseAddress!.ToString() });

        await page.GotoAsync("/");

        await Assertions.Expect(page.Locator("#sign-in-section")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("signed out");
        await Assertions.Expect(page.Locator("#jobs-section")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#submit-section")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#documents-section")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#account")).ToBeHiddenAsync();
        Assert.Equal(401, await page.EvaluateAsync<int>("fetch('/jobs').then(r => r.status)"));
        Assert.Equal("refused", await page.EvaluateAsync<string>(OpenEventSource));
        await SaveScreenshotAsync(page, "jobs-page-signed-out.png");
    }

    [Fact]
    public async Task A_wrong_key_is_refused_at_sign_in_with_the_APIs_reason()
    {
        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync(new() { BaseURL = stack.Api.BaseAddress!.ToString() });
        await page.GotoAsync("/");

        await SignInAsync(page, stack.ApiKey + "-wrong");

        await Assertions.Expect(page.Locator("#sign-in-result")).ToHaveTextAsync("401: The API key is not valid.");
        await Assertions.Expect(page.Locator("#jobs-section")).ToBeHiddenAsync();
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "shield.session");
    }

    [Fact]
    public async Task Signed_in_with_the_write_key_a_submission_shows_its_bar_reaching_100_percent_from_the_stream_and_signing_out_closes_it()
    {
        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync(new() { BaseURL = stack.Api.BaseAddress!.ToString() });
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(new Uri(request.Url).PathAndQuery);

        await page.GotoAsync("/");
        await SignInAsync(page, stack.ApiKey);
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("Signed in with a write key.");

        // The session is an HTTP-only, same-site cookie: the page's script cannot read it.
        var session = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "shield.session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.DoesNotContain("shield.session", await page.EvaluateAsync<string>("document.cookie"));

        await page.FillAsync("#text", "Shield's jobs page, first chunk.\n\nSecond chunk, after a blank line.\n\nThird and last chunk.");
        await page.FillAsync("#source-type", "browser");
        await page.ClickAsync("#submit button[type=submit]");

        await Assertions.Expect(page.Locator("#submit-result")).ToHaveTextAsync(AcceptedPattern());
        var jobId = AcceptedPattern().Match(await page.Locator("#submit-result").InnerTextAsync()).Groups["id"].Value;
        var row = page.Locator($"tr[data-job-id='{jobId}']");
        await Assertions.Expect(row.Locator(".pct")).ToHaveTextAsync("100%", new() { Timeout = 60_000 });
        await Assertions.Expect(row.Locator(".status")).ToHaveTextAsync("completed");
        await Assertions.Expect(row.Locator(".counts")).ToHaveTextAsync("3 processed, 0 failed of 3");
        await SaveScreenshotAsync(page, "jobs-page.png");

        // Live by events: the list was read once, and the job itself only when its terminal event arrived.
        Assert.Equal(1, requests.Count(r => r.StartsWith("/jobs?", StringComparison.Ordinal)));
        Assert.Contains(requests, r => r.StartsWith("/events/stream", StringComparison.Ordinal));
        Assert.True(requests.Count(r => r == $"/jobs/{jobId}") <= 1, string.Join("\n", requests));

        // The cookie alone does not write: a post without the page's antiforgery token (what another site could make
        // this browser send) is refused and queues nothing.
        var jobsBefore = await stack.ScalarAsync("SELECT count(*) FROM jobs");
        Assert.Equal(400, await page.EvaluateAsync<int>("""
            fetch('/lightrag/ingest-async', { method: 'POST', headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ chunks: [{ text: 'forged', source_uri: 'x://1' }], source_type: 'forged' }) }).then(r => r.status)
            """));
        Assert.Equal(jobsBefore, await stack.ScalarAsync("SELECT count(*) FROM jobs"));

        await page.ClickAsync("#sign-out button");
        await Assertions.Expect(page.Locator("#sign-in-section")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("signed out");
        Assert.Equal(401, await page.EvaluateAsync<int>("fetch('/jobs').then(r => r.status)"));
        Assert.Equal("refused", await page.EvaluateAsync<string>(OpenEventSource));
    }

    [Fact]
    public async Task Signed_in_with_the_read_key_the_page_streams_jobs_and_cannot_submit()
    {
        var accepted = await stack.Api.SubmitAsync(new
        {
            chunks = new[] { new { text = $"A job for the read-key page {Guid.NewGuid():N}.", source_uri = "read-key-page://1" } },
            source_type = "read-key-page",
        });
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync(new() { BaseURL = stack.Api.BaseAddress!.ToString() });

        await page.GotoAsync("/");
        await SignInAsync(page, stack.ReadKey);

        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator($"tr[data-job-id='{jobId}'] .status")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#submit button[type=submit]")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("#submit-result")).ToHaveTextAsync("Signed in with a read key: submitting needs a write key.");
        await Assertions.Expect(page.Locator("#documents-section")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#documents button.delete:enabled")).ToHaveCountAsync(0);

        // Even with the antiforgery token, a read session is not allowed to write.
        var token = await page.EvaluateAsync<string>("fetch('/session').then(r => r.json()).then(s => s.antiforgery_token)");
        Assert.Equal(403, await page.EvaluateAsync<int>("""
            token => fetch('/lightrag/ingest-async', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-TOKEN': token },
              body: JSON.stringify({ chunks: [{ text: 'read only', source_uri: 'x://1' }], source_type: 'read' }) }).then(r => r.status)
            """, token));
    }

    [Fact]
    public async Task Signed_in_with_the_write_key_an_uploaded_document_shows_its_state_and_Delete_removes_it()
    {
        var marker = Guid.NewGuid().ToString("N");
        using var upload = await stack.Api.PostAsJsonAsync("/documents",
            new { text = $"A document for the jobs page {marker}: Lise Meitner explained nuclear fission.", source_name = $"page-{marker[..8]}.md" });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, upload.StatusCode);
        var documentId = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement
            .GetProperty("documents")[0].GetProperty("document_id").GetString()!;
        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync(new() { BaseURL = stack.Api.BaseAddress!.ToString() });

        await page.GotoAsync("/");
        await SignInAsync(page, stack.ApiKey);

        var row = page.Locator($"#documents tr[data-document-id='{documentId}']");
        await Assertions.Expect(row.Locator(".status")).ToHaveTextAsync("processed", new() { Timeout = 60_000 });
        await Assertions.Expect(row.Locator(".document")).ToHaveTextAsync(documentId);
        await Assertions.Expect(row.Locator(".source")).ToHaveTextAsync($"page-{marker[..8]}.md");
        await Assertions.Expect(row.Locator(".chunks")).ToHaveTextAsync("1");
        await SaveScreenshotAsync(page, "jobs-page-documents.png");

        await row.Locator("button.delete").ClickAsync();

        await Assertions.Expect(page.Locator("#documents-result")).ToContainTextAsync($"Deleting page-{marker[..8]}.md ({documentId}), job ");
        await Assertions.Expect(row).ToHaveCountAsync(0, new() { Timeout = 60_000 });
        using var gone = await stack.ReadApi.GetAsync($"/documents/{documentId}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task The_API_reference_asks_to_sign_in_then_lists_every_endpoint_without_the_network()
    {
        await using var browser = await Chromium.LaunchAsync();
        var context = await browser.NewContextAsync(new() { BaseURL = stack.Api.BaseAddress!.ToString() });
        // Nothing but the Api: any other address is refused and recorded.
        var apiOrigin = new Uri(stack.Api.BaseAddress!.ToString()).GetLeftPart(UriPartial.Authority);
        var elsewhere = new List<string>();
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(apiOrigin, StringComparison.Ordinal) || route.Request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                elsewhere.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        var page = await context.NewPageAsync();

        // Signed out, opening the reference leads to the sign-in form, and back to the reference after it.
        await page.GotoAsync("/scalar/");
        await Assertions.Expect(page.Locator("#sign-in-section")).ToBeVisibleAsync();
        Assert.Contains("return_url=%2Fscalar%2F", page.Url);
        await SignInAsync(page, stack.ReadKey);
        await page.WaitForURLAsync(new Regex("/scalar/$"));

        using var document = JsonDocument.Parse(await stack.ReadApi.GetStringAsync("/openapi/v1.json"));
        var operations = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Path: path.Name, Method: op.Name.ToUpperInvariant(),
                Summary: op.Value.GetProperty("summary").GetString()!)))
            .ToList();
        // The document describes every endpoint the Api maps, but for the probes and the reference itself.
        await using (var api = InProcessApi.Start(stack, new Dictionary<string, string?> { ["Shield:Api:ApiKey"] = stack.ApiKey }))
        {
            var described = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true }
                    && e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null && e.Metadata.GetMetadata<IEndpointSummaryMetadata>() is not null)
                .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {e.RoutePattern.RawText}"))
                .Order().ToList();
            Assert.Equal(described, operations.Select(o => $"{o.Method} {o.Path}").Order());
        }
        // Scalar's sidebar: one item per operation, named by its method and path, showing its summary.
        foreach (var (path, method, summary) in operations)
        {
            var item = page.Locator($"li[data-sidebar-id$='/{method}{path}'] > a").First;
            await Assertions.Expect(item).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Assertions.Expect(item).ToContainTextAsync(summary);
        }
        await SaveScreenshotAsync(page, "api-reference.png", fullPage: false);
        Assert.Empty(elsewhere);
    }

    private const string OpenEventSource = """
        () => new Promise(resolve => {
          const events = new EventSource('/events/stream');
          events.onopen = () => { events.close(); resolve('open'); };
          events.onerror = () => { resolve(events.readyState === EventSource.CLOSED ? 'refused' : 'reconnecting'); events.close(); };
        })
        """;

    private static async Task SignInAsync(IPage page, string key)
    {
        await Assertions.Expect(page.Locator("#sign-in-section")).ToBeVisibleAsync();
        await page.FillAsync("#sign-in-key", key);
        await page.ClickAsync("#sign-in button[type=submit]");
    }

    private static async Task SaveScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, name), FullPage = fullPage });
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

    /// <summary>Headless Chromium with its own Playwright driver; disposing it closes both.</summary>
    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath(),
            Headless = true,
            Args = ["--no-sandbox"], // CI runs as root, where Chromium's sandbox cannot start
        });
        return new Browser(playwright, browser);
    }

    public sealed class Browser(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
    {
        public Task<IPage> NewPageAsync(BrowserNewPageOptions options) => browser.NewPageAsync(options);

        public Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options) => browser.NewContextAsync(options);

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}
