using System.Net;
using System.Text;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Api;

/// <summary>
/// Per-client limits on the real stack: the write and read rate limits, and how many event streams a client, and
/// all clients together, may hold open. Each test spends the budget of keys of its own, so no other test is refused.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class LimitTests(ShieldStackFixture stack)
{
    [Fact]
    public async Task A_client_over_its_write_rate_gets_429_with_Retry_After()
    {
        // Empty bodies are refused (400) after the key is accepted and the request counted, and create nothing.
        using var client = stack.CreateApiClient(stack.RateLimitWriteKey);
        var result = await SendUntilLimitedAsync(() => client.PostAsync("/lightrag/ingest-async", new StringContent("{}", Encoding.UTF8, "application/json")),
            parallel: 1, cap: 5000);

        // IngestRequestsPerMinute (600) as burst, and the bucket's steady refill of 600 a minute while the test ran.
        AssertWithinBudget(result, 600);
        Assert.Contains("Too many write requests", result.LimitedBody);

        // The limit is this key's: the stack's other write key still writes.
        using var other = await stack.Api.PostAsync("/lightrag/ingest-async", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
    }

    [Fact]
    public async Task A_client_over_its_read_rate_gets_429_with_Retry_After()
    {
        // A malformed job id is answered (400) without touching Redis or PostgreSQL: the cheapest read to repeat.
        using var client = stack.CreateApiClient(stack.RateLimitReadKey);
        var result = await SendUntilLimitedAsync(() => client.GetAsync("/jobs/not-a-job-id"), parallel: 8, cap: 50_000);

        AssertWithinBudget(result, ShieldStackFixture.ReadRequestsPerMinute);
        Assert.Contains("Too many read requests", result.LimitedBody);

        // The limit is this key's: the stack's read key still reads.
        using var other = await stack.ReadApi.GetAsync("/jobs/not-a-job-id");
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
    }

    private sealed record LimitRun(int Answered, TimeSpan Elapsed, string LimitedBody);

    /// <summary>Sends until a 429 with Retry-After and a problem document arrives; counts the requests answered before it.</summary>
    private static async Task<LimitRun> SendUntilLimitedAsync(Func<Task<HttpResponseMessage>> send, int parallel, int cap)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var answered = 0;
        string? limitedBody = null;
        using var stop = new CancellationTokenSource();
        await Parallel.ForEachAsync(Enumerable.Range(0, cap), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = stop.Token }, async (_, _) =>
        {
            using var response = await send();
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                Interlocked.Increment(ref answered);
            }
            else if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                limitedBody ??= await response.Content.ReadAsStringAsync();
                await stop.CancelAsync();
            }
            else
            {
                Assert.Fail($"unexpected {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }).ContinueWith(_ => { }, TaskScheduler.Default); // cancelling the loop is how it ends
        Assert.True(limitedBody is not null, $"no 429 after {answered} requests");
        return new LimitRun(answered, started.Elapsed, limitedBody!);
    }

    /// <summary>A token bucket holding a minute's budget, refilled steadily: all of it, and no more than what refilled meanwhile.</summary>
    private static void AssertWithinBudget(LimitRun run, int perMinute)
    {
        var refilled = (int)Math.Ceiling(run.Elapsed.TotalMinutes * perMinute);
        Assert.InRange(run.Answered, perMinute, perMinute + refilled + 8);
    }

    [Fact]
    public async Task Event_streams_are_limited_per_client_and_overall_and_a_closed_stream_frees_its_slot()
    {
        // Streams of earlier tests are closed by their clients; wait until the Api has let go of them too.
        await Eventually.TrueAsync(async () => await OpenStreamsAsync() == 0, TimeSpan.FromSeconds(30), "streams of earlier tests are still open");
        var held = new List<(HttpClient Client, HttpResponseMessage Response)>();
        try
        {
            var (clientA, clientB) = (stack.CreateApiClient(stack.StreamLimitKeys[0]), stack.CreateApiClient(stack.StreamLimitKeys[1]));
            for (var i = 0; i < ShieldStackFixture.MaxEventStreamsPerClient; i++)
            {
                held.Add((clientA, await OpenAsync(clientA, HttpStatusCode.OK)));
            }

            // One client past its own limit: 429, while another client still gets streams.
            using (var refused = await OpenAsync(clientA, HttpStatusCode.TooManyRequests))
            {
                Assert.Contains("MaxEventStreamsPerClient", await refused.Content.ReadAsStringAsync());
            }
            for (var i = 0; i < ShieldStackFixture.MaxEventStreams - ShieldStackFixture.MaxEventStreamsPerClient; i++)
            {
                held.Add((clientB, await OpenAsync(clientB, HttpStatusCode.OK)));
            }
            Assert.Equal(ShieldStackFixture.MaxEventStreams, await OpenStreamsAsync());

            // The Api past its overall limit: 503 with Retry-After for a third client.
            using (var full = await OpenAsync(stack.ReadApi, HttpStatusCode.ServiceUnavailable))
            {
                Assert.NotNull(full.Headers.RetryAfter);
                Assert.Contains("MaxEventStreams", await full.Content.ReadAsStringAsync());
            }

            // Closing a stream gives its slot back.
            held[0].Response.Dispose();
            held.RemoveAt(0);
            HttpResponseMessage? reopened = null;
            await Eventually.TrueAsync(async () =>
            {
                var response = await stack.ReadApi.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/events/stream"), HttpCompletionOption.ResponseHeadersRead);
                if (response.StatusCode == HttpStatusCode.OK) reopened = response;
                else response.Dispose();
                return reopened is not null;
            }, TimeSpan.FromSeconds(30), "a closed stream's slot was not given back");
            held.Add((stack.ReadApi, reopened!));
            clientA.Dispose();
            clientB.Dispose();
        }
        finally
        {
            foreach (var (_, response) in held) response.Dispose();
        }
    }

    private async Task<long> OpenStreamsAsync() =>
        System.Text.Json.JsonDocument.Parse(await stack.ReadApi.GetStringAsync("/health/detailed"))
            .RootElement.GetProperty("event_streams").GetProperty("open").GetInt64();

    private static async Task<HttpResponseMessage> OpenAsync(HttpClient client, HttpStatusCode expected)
    {
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/events/stream"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(expected, response.StatusCode);
        return response;
    }
}
