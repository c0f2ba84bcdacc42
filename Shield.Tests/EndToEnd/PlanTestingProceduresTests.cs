using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using Shield.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shield.Tests.EndToEnd;

/// <summary>The four "Testing Procedures" at the end of the worker-pool plan, as assertions against the real stack.</summary>
[Collection(StackCollection.Name)]
public sealed class PlanTestingProceduresTests(ShieldStackFixture stack)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Test1_submission_is_accepted_with_a_job_id_and_where_to_follow_it()
    {
        using var response = await stack.Api.PostAsJsonAsync("/lightrag/ingest-async", ApiCalls.PlanPayload());
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = body.GetProperty("job_id").GetString()!;
        Assert.True(Guid.TryParse(jobId, out _));
        Assert.Equal("queued", body.GetProperty("status").GetString());
        Assert.Equal(2, body.GetProperty("chunks_total").GetInt32());
        Assert.Equal($"/jobs/{jobId}", body.GetProperty("status_url").GetString());
        Assert.Contains(jobId, body.GetProperty("events_url").GetString());
        Assert.EndsWith($"/jobs/{jobId}", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Test2_job_is_processed_to_completion_and_reports_its_progress_fields()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 5));
        var jobId = accepted.GetProperty("job_id").GetString()!;

        var job = await stack.Api.WaitForJobAsync(jobId, JobTimeout);

        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(5, job.GetProperty("chunks_total").GetInt32());
        Assert.Equal(5, job.GetProperty("chunks_processed").GetInt32());
        Assert.Equal(0, job.GetProperty("chunks_failed").GetInt32());
        Assert.Equal(100, job.GetProperty("percent_complete").GetDouble());
        var created = job.GetProperty("created_at").GetDateTimeOffset();
        var started = job.GetProperty("started_at").GetDateTimeOffset();
        var completed = job.GetProperty("completed_at").GetDateTimeOffset();
        Assert.True(created <= started && started <= completed, $"{created} <= {started} <= {completed}");
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);

        // Every chunk was really stored and embedded, not only counted.
        Assert.Equal(5, await stack.ScalarAsync("SELECT count(*) FROM job_chunks WHERE job_id = @id", ("id", Guid.Parse(jobId))));
        Assert.Equal(5, await stack.ScalarAsync(
            "SELECT count(*) FROM vectors v JOIN job_chunks c ON c.chunk_id = v.id WHERE v.collection = 'chunks' AND c.job_id = @id AND array_length(v.embedding, 1) = 384",
            ("id", Guid.Parse(jobId))));
    }

    [Fact]
    public async Task Test3_consumer_group_lists_the_pools_consumers()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload());
        await stack.Api.WaitForJobAsync(accepted.GetProperty("job_id").GetString()!, JobTimeout);

        var db = stack.Redis.GetDatabase();
        var heartbeats = new List<WorkerHeartbeat>();
        var names = new HashSet<string>();
        // The group lists the pool and nothing else: no consumer of a process that is gone. (A consumer renewed after
        // MaxTasksPerChild shows in the heartbeat at its next beat, so the two are compared until they agree.)
        await Eventually.TrueAsync(async () =>
        {
            heartbeats.Clear();
            await foreach (var key in stack.Redis.GetServers()[0].KeysAsync(pattern: WorkerHeartbeat.KeyPrefix + "*"))
            {
                heartbeats.Add(WorkerHeartbeat.FromJson((await db.StringGetAsync(key))!)!);
            }
            names = (await db.StreamConsumerInfoAsync(IngestionStream.Key, IngestionStream.ConsumerGroup))
                .Select(c => c.Name.ToString()).ToHashSet();
            return names.SetEquals(heartbeats.SelectMany(h => h.Consumers));
        }, TimeSpan.FromMinutes(2), "XINFO CONSUMERS does not list exactly the live pool");

        // The default stack: two Workers processes of four consumers each, every one named uniquely.
        Assert.Equal(2, heartbeats.Count);
        Assert.All(heartbeats, h => Assert.Equal(4, h.Consumers.Count));
        var all = heartbeats.SelectMany(h => h.Consumers).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(8, names.Count);
    }

    [Fact]
    public async Task Test4_event_stream_shows_queued_started_progress_and_completed_once_each()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 3));
        var jobId = accepted.GetProperty("job_id").GetString()!;

        var events = await ServerSentEvents.ReadUntilAsync(stack.Api, $"/events/stream?job_id={jobId}",
            e => e.Event is "ingestion.completed" or "ingestion.failed", JobTimeout);

        var types = events.Select(e => e.Event).ToList();
        Assert.Equal("ingestion.queued", types[0]);
        Assert.Equal("ingestion.started", types[1]);
        Assert.Equal(["ingestion.progress", "ingestion.progress", "ingestion.progress"], types.Skip(2).Take(3));
        Assert.Equal("ingestion.completed", types[^1]);
        Assert.Equal(6, types.Count);

        Assert.All(events, e =>
        {
            Assert.Equal(jobId, e.Json.GetProperty("job_id").GetString());
            Assert.Equal(e.Event, e.Json.GetProperty("event_type").GetString());
            Assert.True(e.Json.TryGetProperty("timestamp", out _));
            Assert.Equal(JsonValueKind.Object, e.Json.GetProperty("data").ValueKind);
            Assert.False(string.IsNullOrEmpty(e.Id));
        });
        var percents = events.Where(e => e.Event == "ingestion.progress")
            .Select(e => e.Json.GetProperty("data").GetProperty("percent_complete").GetDouble()).ToList();
        Assert.Equal([33.33, 66.67, 100], percents);
    }

    [Fact]
    public async Task Reconnecting_with_Last_Event_ID_delivers_only_what_was_missed()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 2));
        var jobId = accepted.GetProperty("job_id").GetString()!;
        var all = await ServerSentEvents.ReadUntilAsync(stack.Api, $"/events/stream?job_id={jobId}",
            e => e.Event == "ingestion.completed", JobTimeout);

        // Pretend the connection dropped right after the "started" event.
        var resumeAfter = all.Single(e => e.Event == "ingestion.started").Id;
        var missed = await ServerSentEvents.ReadUntilAsync(stack.Api, $"/events/stream?job_id={jobId}",
            e => e.Event == "ingestion.completed", JobTimeout, lastEventId: resumeAfter);

        Assert.Equal(all.SkipWhile(e => e.Id != resumeAfter).Skip(1).Select(e => e.Id), missed.Select(e => e.Id));
    }

    [Fact]
    public async Task Filtered_event_stream_never_carries_another_jobs_events()
    {
        var first = (await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 2))).GetProperty("job_id").GetString()!;
        var second = (await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 2))).GetProperty("job_id").GetString()!;

        var events = await ServerSentEvents.ReadUntilAsync(stack.Api, $"/events/stream?job_id={second}",
            e => e.Event == "ingestion.completed", JobTimeout);

        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(second, e.Json.GetProperty("job_id").GetString()));
        Assert.DoesNotContain(events, e => e.Data.Contains(first, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_job_is_a_404_problem()
    {
        using var response = await stack.Api.GetAsync($"/jobs/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Detailed_health_reports_dependencies_and_the_pool_from_redis()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 3));
        await stack.Api.WaitForJobAsync(accepted.GetProperty("job_id").GetString()!, JobTimeout);

        // Earlier tests may still be draining cancelled chunks; the pool must settle to an empty queue.
        JsonElement health = default;
        await Eventually.TrueAsync(async () =>
        {
            health = JsonDocument.Parse(await stack.Api.GetStringAsync("/health/detailed")).RootElement;
            var p = health.GetProperty("worker_pool");
            return p.GetProperty("pending_entries").GetInt32() == 0 && p.GetProperty("queue_depth").GetInt32() == 0;
        }, TimeSpan.FromMinutes(1), "the queue did not drain");

        Assert.Equal("healthy", health.GetProperty("status").GetString());
        var pool = health.GetProperty("worker_pool");
        Assert.Equal("up", pool.GetProperty("status").GetString());
        Assert.Equal(8, pool.GetProperty("active_workers").GetInt32());
        Assert.Equal(2, pool.GetProperty("processes").GetInt32());
        Assert.Equal(0, pool.GetProperty("pending_entries").GetInt32());
        Assert.Equal(0, pool.GetProperty("queue_depth").GetInt32());
        Assert.Equal("embedded", health.GetProperty("vector_store").GetProperty("mode").GetString());
        Assert.Equal("embedded", health.GetProperty("model_backend").GetProperty("mode").GetString());
        // The development defaults say so, as reported by the workers themselves.
        var reported = health.GetProperty("model_backend").GetProperty("reported_by_workers").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains(reported, r => r.StartsWith("embedded: all-MiniLM-L6-v2", StringComparison.Ordinal));
        Assert.Contains(reported, r => r.StartsWith("offline (development default", StringComparison.Ordinal));
    }
}
