using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Shield.Tests.Infrastructure;

public static class ApiCalls
{
    /// <summary>
    /// The plan's "Test 1" payload, with as many chunks as asked. Each call's texts are its own (the plan's "Test chunk
    /// 1" plus a tag): tests share one stack, and a text another test also sent would be the same chunk.
    /// </summary>
    public static object PlanPayload(int chunks = 2, string sourceType = "test")
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        return new
        {
            chunks = Enumerable.Range(1, chunks).Select(i => new { text = $"Test chunk {i} ({tag})", source_uri = $"test://{tag}/{i}" }).ToArray(),
            source_type = sourceType,
        };
    }

    public static async Task<JsonElement> SubmitAsync(this HttpClient api, object payload)
    {
        using var response = await api.PostAsJsonAsync("/lightrag/ingest-async", payload);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Polls the job until it reaches a terminal state (the plan's "Test 2", without <c>watch</c>).</summary>
    public static async Task<JsonElement> WaitForJobAsync(this HttpClient api, string jobId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement job = default;
        while (DateTime.UtcNow < deadline)
        {
            job = JsonDocument.Parse(await api.GetStringAsync($"/jobs/{jobId}")).RootElement;
            if (job.GetProperty("status").GetString() is "completed" or "failed")
            {
                return job;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"Job {jobId} did not finish within {timeout}: {job}");
        return job;
    }
}
