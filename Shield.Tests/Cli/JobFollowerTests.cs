using System.Net;
using System.Text;
using Shield.Cli.Api;
using Shield.Cli.Progress;
using Shield.Contracts.Events;

namespace Shield.Tests.Cli;

/// <summary>Following a job when its event stream breaks off, and reading the stream itself.</summary>
public sealed class JobFollowerTests
{
    private const string JobId = "0193a5b2-0000-7000-8000-000000000001";

    [Fact]
    public async Task A_stream_that_ends_before_the_job_does_is_replaced_by_polling_until_the_job_ends()
    {
        var polls = 0;
        var handler = new StubHandler(request => request.RequestUri!.AbsolutePath switch
        {
            "/events/stream" => Sse(
                $"id: 1-0\nevent: ingestion.queued\ndata: {Event(EventTypes.Queued, new JobQueuedData(2, "file"))}\n\n" +
                $"id: 2-0\nevent: ingestion.progress\ndata: {Event(EventTypes.Progress, new JobProgressData(1, 0, 2, 50))}\n\n"),
            "/jobs/" + JobId => Json(++polls < 2
                ? Job("processing", processed: 1)
                : Job("completed", processed: 2)),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        });
        using var api = new ShieldApiClient(new ApiSettings(new Uri("http://shield.test/"), null), handler);
        var output = new CapturedWriter();
        var view = new PlainProgressView(output);
        var job = new FileJob("a.md", 2) { JobId = Guid.Parse(JobId) };

        await new JobFollower(api, view, new FollowOptions { PollInterval = TimeSpan.FromMilliseconds(10) })
            .FollowAsync(job, CancellationToken.None);

        Assert.True(job.Completed);
        Assert.Equal(2, job.Processed);
        var lines = output.ToString();
        Assert.Contains("a.md: 0%  0/2 chunks  queued", lines);
        Assert.Contains("a.md: 50%  1/2 chunks  processing", lines);
        Assert.Contains("a.md: the event stream ended; polling the job instead.", lines);
        Assert.Contains("a.md: 100%  2/2 chunks  completed", lines);
        Assert.Equal(2, polls);
    }

    [Fact]
    public async Task Event_stream_parsing_follows_the_EventSource_rules()
    {
        const string stream = ": keep-alive\n\nretry: 2000\n\nid: 5-0\nevent: one\ndata: first\ndata:second line\n\n" +
            "data: no id or type given, the id carries over\n\nevent: no data, not dispatched\n\n";

        var events = new List<ServerSentEvent>();
        await foreach (var e in ServerSentEventReader.ReadAsync(new StringReader(stream), CancellationToken.None))
        {
            events.Add(e);
        }

        Assert.Equal(
            [new ServerSentEvent("5-0", "one", "first\nsecond line"), new ServerSentEvent("5-0", null, "no id or type given, the id carries over")],
            events);
    }

    private static string Event<TData>(string type, TData data) where TData : notnull =>
        IngestionEvent.Create(type, Guid.Parse(JobId), DateTimeOffset.UtcNow, data).ToJson();

    private static string Job(string status, int processed) =>
        $"{{\"job_id\":\"{JobId}\",\"status\":\"{status}\",\"source_type\":\"file\",\"chunks_total\":2,\"chunks_processed\":{processed}," +
        $"\"chunks_failed\":0,\"percent_complete\":{processed * 50},\"created_at\":\"2026-01-01T00:00:00Z\",\"error\":null}}";

    private static HttpResponseMessage Sse(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "text/event-stream") };

    private static HttpResponseMessage Json(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }
}
