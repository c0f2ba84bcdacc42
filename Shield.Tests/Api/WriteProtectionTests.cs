using System.Net;
using Aspire.Hosting.Testing;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Shield.Ingestion.Events;
using Shield.Ingestion.Streams;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Api;

/// <summary>Keys kept out of events, idempotent submission and the backlog limit, against the real stack (who may call what: <see cref="AccessTableTests"/>).</summary>
[Collection(StackCollection.Name)]
public sealed class WriteProtectionTests(ShieldStackFixture stack)
{
    [Fact]
    public async Task The_api_key_never_appears_in_events()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload());
        await stack.Api.WaitForJobAsync(accepted.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(1));

        var events = await stack.Redis.GetDatabase().StreamRangeAsync(EventStream.Key);
        Assert.DoesNotContain(events, e => e.Values.Any(v => v.Value.ToString().Contains(stack.ApiKey, StringComparison.Ordinal)));
        Assert.DoesNotContain(events, e => e.Values.Any(v => v.Value.ToString().Contains(stack.ReadKey, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Repeating_a_submission_with_its_Idempotency_Key_returns_the_original_job_and_queues_nothing()
    {
        var key = "order-" + Guid.NewGuid();
        var body = JsonSerializer.Serialize(ApiCalls.PlanPayload(chunks: 3));
        var first = await PostWithKeyAsync(key, body);
        var lengthAfterFirst = await stack.Redis.GetDatabase().StreamLengthAsync(IngestionStream.Key);
        var jobsAfterFirst = await stack.ScalarAsync("SELECT count(*) FROM jobs");

        var second = await PostWithKeyAsync(key, body);

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(HttpStatusCode.Accepted, second.Status);
        Assert.Equal(first.Body.GetProperty("job_id").GetString(), second.Body.GetProperty("job_id").GetString());
        Assert.True(await stack.Redis.GetDatabase().StreamLengthAsync(IngestionStream.Key) <= lengthAfterFirst);
        Assert.Equal(jobsAfterFirst, await stack.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task Reusing_an_Idempotency_Key_for_a_different_body_is_a_422()
    {
        var key = "order-" + Guid.NewGuid();
        var first = await PostWithKeyAsync(key, JsonSerializer.Serialize(ApiCalls.PlanPayload(chunks: 1)));
        var jobsBefore = await stack.ScalarAsync("SELECT count(*) FROM jobs");

        var second = await PostWithKeyAsync(key, JsonSerializer.Serialize(ApiCalls.PlanPayload(chunks: 2)));

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.Status);
        Assert.Contains(first.Body.GetProperty("job_id").GetString()!, second.Body.GetProperty("detail").GetString());
        Assert.Equal(jobsBefore, await stack.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task Past_the_backlog_limit_submissions_get_503_with_Retry_After_and_queue_nothing()
    {
        // Two 1,000-chunk jobs fill most of the 2,500-chunk backlog; a third cannot fit until workers drain it.
        var filling = new List<string>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                filling.Add((await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 1000))).GetProperty("job_id").GetString()!);
            }
            var lengthBefore = await stack.Redis.GetDatabase().StreamLengthAsync(IngestionStream.Key);
            var jobsBefore = await stack.ScalarAsync("SELECT count(*) FROM jobs");

            using var response = await stack.Api.PostAsJsonAsync("/lightrag/ingest-async", ApiCalls.PlanPayload(chunks: 1000));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(lengthBefore, await stack.Redis.GetDatabase().StreamLengthAsync(IngestionStream.Key));
            Assert.Equal(jobsBefore, await stack.ScalarAsync("SELECT count(*) FROM jobs"));
        }
        finally
        {
            // Cancelled jobs' remaining chunks are skipped, so the backlog drains quickly for the next tests.
            foreach (var jobId in filling)
            {
                (await stack.Api.DeleteAsync($"/jobs/{jobId}")).Dispose();
            }
        }
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostWithKeyAsync(string key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/lightrag/ingest-async")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await stack.Api.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }
}
