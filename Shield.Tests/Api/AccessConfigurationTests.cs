using System.Net;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Api;

/// <summary>
/// What the keys a deployment is given do: the Api closed, open (and saying so) only in Development without keys,
/// refusing to start elsewhere; sessions that end when their key is rotated out; keys never in the log. The
/// configurations the stack does not have run the Api's Program in process on the stack's Redis and PostgreSQL.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class AccessConfigurationTests(ShieldStackFixture stack)
{
    [Fact]
    public async Task Outside_Development_the_Api_refuses_to_start_without_a_key()
    {
        await using var api = InProcessApi.Start(stack, environment: "Production");

        var refused = Assert.ThrowsAny<Exception>(() => api.Services);

        var messages = string.Join("\n", Chain(refused).Select(e => e.Message));
        Assert.Contains("Shield:Api:ApiKey is not set (AppHost parameter api-key) and the environment is 'Production'", messages);
        Assert.Contains("Shield:Api:AllowOpenAccess=true", messages);
    }

    [Theory]
    [InlineData("Development", "false")]
    [InlineData("Production", "true")]
    public async Task Without_a_key_the_Api_is_open_where_allowed_and_says_so_on_start_and_in_detailed_health(string environment, string allowOpen)
    {
        await using var api = InProcessApi.Start(stack, new Dictionary<string, string?> { ["Shield:Api:AllowOpenAccess"] = allowOpen }, environment);
        using var anonymous = api.CreateClient();

        using var jobs = await anonymous.GetAsync("/jobs?limit=1");
        var health = JsonDocument.Parse(await anonymous.GetStringAsync("/health/detailed")).RootElement;
        var session = JsonDocument.Parse(await anonymous.GetStringAsync("/session")).RootElement;

        Assert.Equal(HttpStatusCode.OK, jobs.StatusCode);
        Assert.Equal("open", health.GetProperty("access").GetString());
        Assert.Equal("open", session.GetProperty("access").GetString());
        Assert.Equal("write", session.GetProperty("scope").GetString());
        Assert.Contains(api.Logs.Entries, e => e.Level == LogLevel.Warning
            && e.Message.StartsWith($"Shield.Api runs OPEN (environment {environment}): no API key is configured", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_key_settings_stop_the_start_with_a_message_that_names_the_setting_and_not_the_key()
    {
        const string shortKey = "too-short";
        await using var api = InProcessApi.Start(stack, new Dictionary<string, string?>
        {
            ["Shield:Api:ApiKey"] = $"{stack.ApiKey},{shortKey}",
            ["Shield:Api:ReadApiKey"] = stack.ApiKey,
        });

        var refused = Assert.ThrowsAny<Exception>(() => api.Services);

        var messages = string.Join("\n", Chain(refused).Select(e => e.Message));
        Assert.Contains("Shield:Api:ApiKey: key 2 of 2 is shorter than 16 characters", messages);
        Assert.Contains("a key is both a write key (ApiKey) and a read key (ReadApiKey)", messages);
        Assert.DoesNotContain(shortKey, messages);
        Assert.DoesNotContain(stack.ApiKey, messages);
    }

    [Fact]
    public async Task A_session_lasts_while_its_key_is_configured_and_ends_when_the_key_is_rotated_out()
    {
        var (oldKey, newKey) = ("rotation-old-" + Guid.NewGuid().ToString("N"), "rotation-new-" + Guid.NewGuid().ToString("N"));
        await using var before = InProcessApi.Start(stack, Keys(oldKey));
        await using var during = InProcessApi.Start(stack, Keys($"{newKey},{oldKey}"));
        await using var after = InProcessApi.Start(stack, Keys(newKey));

        var cookies = await SignInAsync(before.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false }), oldKey);

        // The replicas share the data-protection keys in Redis, so any of them reads the cookie; only the key decides.
        Assert.Equal(HttpStatusCode.OK, await StatusWithCookiesAsync(before, cookies));
        Assert.Equal(HttpStatusCode.OK, await StatusWithCookiesAsync(during, cookies));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithCookiesAsync(after, cookies));
        // Both keys work while both are configured: clients move to the new one without a refusal.
        using var client = during.CreateClient();
        foreach (var key in new[] { oldKey, newKey })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs?limit=1") { Headers = { { "X-Api-Key", key } } };
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
        }
    }

    [Fact]
    public async Task The_stack_Api_says_on_start_that_it_is_closed_and_never_logs_a_key()
    {
        // Requests with each kind of key, right and wrong, so there is something to (not) log.
        foreach (var key in new[] { stack.ApiKey, stack.ReadKey, stack.ApiKey + "-wrong" })
        {
            using var client = stack.CreateApiClient(key);
            (await client.GetAsync("/jobs?limit=1")).Dispose();
        }

        var api = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "api");
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var batch in stack.App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(api).WithCancellation(cts.Token))
        {
            lines.AddRange(batch.Select(l => l.Content));
        }

        Assert.Contains(lines, l => l.Contains("Shield.Api is closed: 2 write key(s) and 4 read key(s) configured", StringComparison.Ordinal));
        string[] keys = [stack.ApiKey, stack.RateLimitWriteKey, stack.ReadKey, stack.RateLimitReadKey, .. stack.StreamLimitKeys];
        foreach (var key in keys)
        {
            Assert.DoesNotContain(lines, l => l.Contains(key, StringComparison.Ordinal));
        }
    }

    private static Dictionary<string, string?> Keys(string writeKeys) => new() { ["Shield:Api:ApiKey"] = writeKeys };

    /// <summary>Signs in as the jobs page does: the antiforgery token from GET /session, then the form; returns the cookies.</summary>
    private static async Task<string> SignInAsync(HttpClient client, string key)
    {
        using var session = await client.GetAsync("/session");
        var token = JsonDocument.Parse(await session.Content.ReadAsStringAsync()).RootElement.GetProperty("antiforgery_token").GetString()!;
        var antiforgeryCookie = CookiesOf(session);

        using var signIn = new HttpRequestMessage(HttpMethod.Post, "/session") { Content = new FormUrlEncodedContent([new("api_key", key)]) };
        signIn.Headers.Add("Cookie", antiforgeryCookie);
        signIn.Headers.Add("X-CSRF-TOKEN", token);
        using var signedIn = await client.SendAsync(signIn);
        Assert.Equal(HttpStatusCode.NoContent, signedIn.StatusCode);
        return CookiesOf(signedIn);
    }

    private static string CookiesOf(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

    private static async Task<HttpStatusCode> StatusWithCookiesAsync(InProcessApi api, string cookies)
    {
        using var client = api.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs?limit=1");
        request.Headers.Add("Cookie", cookies);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain)) yield return inner;
            }
        }
    }
}
