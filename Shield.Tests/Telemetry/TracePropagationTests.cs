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
    [Fact]
    public async Task The_Api_request_is_the_root_of_every_chunks_processing_span_in_the_Workers()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(3, "traced"));
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await stack.Api.WaitForJobAsync(jobId, TimeSpan.FromMinutes(1));

        List<ReceivedSpan> consumers = [];
        await Eventually.TrueAsync(() =>
        {
            consumers = [.. stack.Traces.Spans.Where(s => s.Kind == OtlpSpanKind.Consumer && s.Attributes.GetValueOrDefault("shield.job_id") == jobId)];
            return Task.FromResult(consumers.Count == 3);
        }, TimeSpan.FromSeconds(30), "the Workers did not export three consumer spans for the job");

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
    }
}
