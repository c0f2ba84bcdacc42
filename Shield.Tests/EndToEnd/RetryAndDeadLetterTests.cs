using System.Net;
using System.Text.Json;
using Shield.Ingestion.Streams;
using Shield.Tests.Infrastructure;
using Shield.Tests.Resilience;

namespace Shield.Tests.EndToEnd;

/// <summary>
/// Chunk failures made real (<see cref="InjectedChunkFailures"/>): retried with backoff, dead-lettered after the last
/// attempt, re-queued on demand.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class RetryAndDeadLetterTests(ShieldStackFixture stack) : IAsyncLifetime
{
    private readonly InjectedChunkFailures _faults = new(stack);
    private string Marker => _faults.Marker;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _faults.DisposeAsync();

    private object Payload(params string[] texts) => new
    {
        chunks = texts.Select((t, i) => new { text = t, source_uri = $"fault://{Marker}/{i}" }).ToArray(),
        source_type = "fault",
    };

    [Fact]
    public async Task A_chunk_that_fails_twice_succeeds_on_its_third_attempt_and_is_counted_once()
    {
        await _faults.RejectAsync(2);
        var accepted = await stack.Api.SubmitAsync(Payload($"{Marker} flaky chunk", $"steady chunk one {Marker}", $"steady chunk two {Marker}"));
        var jobId = accepted.GetProperty("job_id").GetString()!;

        var job = await stack.Api.WaitForJobAsync(jobId, TimeSpan.FromMinutes(1));

        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(new JobAudit("completed", 3, 3, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
        Assert.Equal(3, await _faults.AttemptsAsync());

        // In the trace, each retry is a new consumer span of the same submission, linked to the attempt that failed.
        List<Telemetry.ReceivedSpan> attempts = [];
        await Eventually.TrueAsync(() =>
        {
            attempts = [.. stack.Traces.Spans.Where(s => s.Kind == Telemetry.OtlpSpanKind.Consumer
                && s.Attributes.GetValueOrDefault("shield.job_id") == jobId && s.Attributes.GetValueOrDefault("shield.chunk_index") == "0")];
            return Task.FromResult(attempts.Count == 3);
        }, TimeSpan.FromSeconds(30), "three attempts of the flaky chunk were not exported");
        var ordered = attempts.OrderBy(a => a.Attributes["shield.attempt"]).ToList();
        Assert.Single(ordered.Select(a => a.TraceId).Distinct());
        Assert.Empty(ordered[0].Links);
        Assert.Equal((ordered[0].TraceId, ordered[0].SpanId), Assert.Single(ordered[1].Links));
        Assert.Equal((ordered[1].TraceId, ordered[1].SpanId), Assert.Single(ordered[2].Links));
    }

    [Fact]
    public async Task A_chunk_that_always_fails_is_dead_lettered_and_the_job_fails_after_its_other_chunks_then_retry_requeues_it()
    {
        await _faults.RejectAsync(long.MaxValue);
        var failing = $"{Marker} poisoned chunk";
        var accepted = await stack.Api.SubmitAsync(Payload(failing, $"good chunk one {Marker}", $"good chunk two {Marker}"));
        var jobId = accepted.GetProperty("job_id").GetString()!;

        var job = await stack.Api.WaitForJobAsync(jobId, TimeSpan.FromMinutes(1));

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("chunks_processed").GetInt32());
        Assert.Equal(1, job.GetProperty("chunks_failed").GetInt32());
        Assert.Contains("injected failure", job.GetProperty("error").GetString());
        Assert.Equal(new JobAudit("failed", 3, 2, 1, 0, 0), await JobAudit.OfAsync(stack, jobId));
        var dead = Assert.Single(await stack.Redis.GetDatabase().StreamRangeAsync(IngestionStream.DeadLetterKey), e => e["job_id"] == jobId);
        Assert.Equal(failing, dead["content"].ToString());
        Assert.Equal("3", dead["attempts"].ToString());
        Assert.Contains("injected failure", dead["error"].ToString());

        // The dependency is fixed; the dead-lettered chunk goes back on the queue and the job completes.
        await _faults.StopAsync();
        using var retry = await stack.Api.PostAsync($"/jobs/{jobId}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(1, JsonDocument.Parse(await retry.Content.ReadAsStringAsync()).RootElement.GetProperty("chunks_requeued").GetInt32());

        var retried = await stack.Api.WaitForJobAsync(jobId, TimeSpan.FromMinutes(1));
        Assert.Equal("completed", retried.GetProperty("status").GetString());
        Assert.Equal(3, retried.GetProperty("chunks_processed").GetInt32());
        Assert.Equal(0, retried.GetProperty("chunks_failed").GetInt32());
        Assert.DoesNotContain((await stack.Redis.GetDatabase().StreamRangeAsync(IngestionStream.DeadLetterKey)), e => e["job_id"] == jobId);
    }
}
