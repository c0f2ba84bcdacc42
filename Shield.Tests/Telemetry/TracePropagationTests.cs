using System.Diagnostics;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Telemetry;

/// <summary>
/// One submission is one trace across both processes: the Api's request span, its publish span, and every
/// chunk's consumer span in a Workers process (with the pipeline stages and the PostgreSQL calls under it), read
/// from what the services really exported over OTLP.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class TracePropagationTests(ShieldStackFixture stack)
{
    /// <summary>How long the stack is watched with nothing submitted.</summary>
    private static readonly TimeSpan IdleWindow = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Redis spans are made from the client's profiling sessions, which are flushed at least every 10 s: a command in
    /// the window may reach the exporter that much later.
    /// </summary>
    private static readonly TimeSpan RedisSpanFlush = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_idle_stack_starts_no_trace_of_its_own()
    {
        // One job first, so that the Workers have exported spans whether or not another test ran before this one.
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(1, "before idle"));
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await stack.Api.WaitForJobAsync(jobId, TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(
            () => Task.FromResult(stack.Traces.Spans.Any(s => s.Service == "workers" && s.Attributes.GetValueOrDefault("shield.job_id") == jobId)),
            TimeSpan.FromSeconds(30), "the Workers exported no span for the job before the idle window");

        // Nothing is submitted from here on. Spans that earlier tests started may still arrive; only what starts
        // inside the window counts.
        var windowStart = DateTimeOffset.UtcNow;
        var windowEnd = windowStart + IdleWindow;

        // Wait until the exporters have sent metrics again after everything started in the window had time to reach
        // them: the processes were exporting all along, so an absent span was not exported because none was made.
        await Eventually.TrueAsync(
            () => Task.FromResult(stack.Traces.MetricExports.Count(at => at > windowEnd + RedisSpanFlush + TimeSpan.FromSeconds(1)) >= 3),
            IdleWindow + RedisSpanFlush + TimeSpan.FromMinutes(1), "the services stopped exporting metrics");

        var roots = stack.Traces.Spans.Where(s => s.IsRoot && s.StartTime >= windowStart && s.StartTime <= windowEnd).ToList();
        Assert.True(roots.Count == 0,
            $"{roots.Count} traces started while the stack was idle: "
            + string.Join(", ", roots.GroupBy(r => $"{r.Service}: {r.Name} ({r.Scope})").Select(g => $"{g.Key} ×{g.Count()}")));
    }

    [Fact]
    public async Task The_Api_request_is_the_root_of_every_chunks_processing_span_in_the_Workers()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(3, "traced"));
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await stack.Api.WaitForJobAsync(jobId, TimeSpan.FromMinutes(1));

        List<ReceivedSpan> consumers = [];
        await Eventually.TrueAsync(() =>
        {
            consumers = [.. stack.Traces.Spans.Where(s => s.Kind == OtlpSpanKind.Consumer && s.Name == "process shield:ingestion_queue"
                && s.Attributes.GetValueOrDefault("shield.job_id") == jobId)];
            return Task.FromResult(consumers.Count == 3 && stack.Traces.Spans.Any(s => s.Name == "finalize job" && s.Attributes.GetValueOrDefault("shield.job_id") == jobId));
        }, TimeSpan.FromSeconds(30), "the Workers did not export three consumer spans and the finalisation for the job");

        var spans = stack.Traces.Spans.ToList();
        var traceId = Assert.Single(consumers.Select(c => c.TraceId).Distinct());
        var publish = Assert.Single(spans, s => s.SpanId == consumers[0].ParentSpanId);
        Assert.Equal("api", publish.Service);
        Assert.Equal("send shield:ingestion_queue", publish.Name);
        Assert.Equal("redis", publish.Attributes["messaging.system"]);
        var request = Assert.Single(spans, s => s.SpanId == publish.ParentSpanId);
        Assert.Equal("api", request.Service);
        Assert.Equal(traceId, request.TraceId);
        Assert.Equal("/lightrag/ingest-async", request.Attributes.GetValueOrDefault("url.path"));
        Assert.Equal("", request.ParentSpanId); // the client sent no traceparent: the request is the root

        Assert.All(consumers, c =>
        {
            Assert.Equal("workers", c.Service);
            Assert.Equal(publish.SpanId, c.ParentSpanId);
            Assert.Equal("process", c.Attributes["messaging.operation.type"]);
            Assert.Equal("lightrag-workers", c.Attributes["messaging.consumer.group.name"]);
        });

        // Under each chunk: the pipeline stages, and under those the database calls they made.
        var stages = spans.Where(s => consumers.Any(c => c.SpanId == s.ParentSpanId)).ToList();
        foreach (var stage in new[] { "store chunk", "extract", "merge graph", "embed", "write vectors" })
        {
            Assert.Equal(3, stages.Count(s => s.Name == stage));
        }
        Assert.Contains(spans, s => s.TraceId == traceId && s.Service == "workers"
            && stages.Any(stage => stage.SpanId == s.ParentSpanId)
            && (s.Attributes.ContainsKey("db.system.name") || s.Attributes.ContainsKey("db.system")));

        // The job's finalisation (summaries and vectors of what its chunks changed) ends the same trace.
        var finalize = Assert.Single(spans, s => s.Name == "finalize job" && s.Attributes.GetValueOrDefault("shield.job_id") == jobId);
        Assert.Equal((traceId, publish.SpanId, "workers"), (finalize.TraceId, finalize.ParentSpanId, finalize.Service));
    }
}
