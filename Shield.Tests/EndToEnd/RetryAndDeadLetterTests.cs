using System.Net;
using System.Text.Json;
using Npgsql;
using Shield.Ingestion.Streams;
using Shield.Tests.Infrastructure;
using Shield.Tests.Resilience;

namespace Shield.Tests.EndToEnd;

/// <summary>
/// Chunk failures made real by a PostgreSQL trigger that rejects chosen chunks (a sequence counts the rejections,
/// since it survives the rollback): retried with backoff, dead-lettered after the last attempt, re-queued on demand.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class RetryAndDeadLetterTests(ShieldStackFixture stack) : IAsyncLifetime
{
    private readonly string _marker = "FAULT" + Guid.NewGuid().ToString("N")[..8];
    private string Sequence => "shield_test_" + _marker.ToLowerInvariant();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ExecuteAsync($"DROP TRIGGER IF EXISTS {Sequence} ON chunks; DROP FUNCTION IF EXISTS {Sequence}(); DROP SEQUENCE IF EXISTS {Sequence};");

    /// <summary>Chunks whose text starts with the marker are rejected the first <paramref name="failures"/> times they are stored.</summary>
    private Task InjectFailuresAsync(long failures) => ExecuteAsync($"""
        CREATE SEQUENCE {Sequence};
        CREATE FUNCTION {Sequence}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.content LIKE '{_marker}%' AND nextval('{Sequence}') <= {failures} THEN
            RAISE EXCEPTION 'injected failure for %', NEW.id;
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER {Sequence} BEFORE INSERT ON chunks FOR EACH ROW EXECUTE FUNCTION {Sequence}();
        """);

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(stack.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private object Payload(params string[] texts) => new
    {
        chunks = texts.Select((t, i) => new { text = t, source_uri = $"fault://{_marker}/{i}" }).ToArray(),
        source_type = "fault",
    };

    [Fact]
    public async Task A_chunk_that_fails_twice_succeeds_on_its_third_attempt_and_is_counted_once()
    {
        await InjectFailuresAsync(2);
        var accepted = await stack.Api.SubmitAsync(Payload($"{_marker} flaky chunk", $"steady chunk one {_marker}", $"steady chunk two {_marker}"));
        var jobId = accepted.GetProperty("job_id").GetString()!;

        var job = await stack.Api.WaitForJobAsync(jobId, TimeSpan.FromMinutes(1));

        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(new JobAudit("completed", 3, 3, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
        Assert.Equal(3, await stack.ScalarAsync($"SELECT last_value FROM {Sequence}"));

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
        await InjectFailuresAsync(long.MaxValue);
        var failing = $"{_marker} poisoned chunk";
        var accepted = await stack.Api.SubmitAsync(Payload(failing, $"good chunk one {_marker}", $"good chunk two {_marker}"));
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
        await ExecuteAsync($"DROP TRIGGER {Sequence} ON chunks;");
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
