using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Shield.Api.Jobs;
using Shield.Api.Security;
using Shield.Ingestion.Events;
using Shield.Ingestion.Jobs;

namespace Shield.Api.Events;

public static partial class EventEndpoints
{
    private const int PageSize = 200;
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    /// <summary>Redis clocks and ours may differ a little; start a job's replay this much before it was created.</summary>
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMinutes(1);

    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapReadGroup().MapGet("/events/stream", StreamAsync)
            .WithName("EventStream")
            .WithTags("Events")
            .WithSummary("Server-sent events of jobs and workers")
            .WithDescription("text/event-stream. Each event: id (resume point), event (event_type), data (JSON with event_type, " +
                "job_id, timestamp, data). ?job_id= narrows to one job and replays it from its start; without it the stream starts " +
                "at the newest event (?from=start replays all retained events). Reconnect with Last-Event-ID to receive what was missed. " +
                "Takes the X-Api-Key header or the jobs page's session cookie (EventSource cannot send headers). A client may hold " +
                "MaxEventStreamsPerClient streams at once (429 beyond), the Api MaxEventStreams in all (503 beyond).")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> StreamAsync(
        HttpContext context, IngestionEventLog log, EventNotifications notifications, JobStore jobs, EventStreamLimits limits,
        string? job_id, string? from, string? last_event_id, CancellationToken cancellationToken)
    {
        Guid? jobFilter = null;
        if (job_id is not null)
        {
            if (!Guid.TryParse(job_id, out var parsed)) return JobProblems.MalformedId(job_id);
            jobFilter = parsed;
        }

        var resumeFrom = context.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? last_event_id;
        if (resumeFrom is not null && !StreamId().IsMatch(resumeFrom))
        {
            return TypedResults.Problem($"'{resumeFrom}' is not an event id (they look like 1764331200000-0).",
                statusCode: StatusCodes.Status400BadRequest, title: "Malformed Last-Event-ID");
        }

        string lastId;
        if (resumeFrom is not null)
        {
            lastId = resumeFrom;
        }
        else if (jobFilter is { } id)
        {
            if (await jobs.GetAsync(id, cancellationToken) is not { } job) return JobProblems.NotFound(id);
            lastId = $"{Math.Max(0, (job.CreatedAt - ClockSlack).ToUnixTimeMilliseconds())}-0";
        }
        else
        {
            lastId = from == "start" ? "0-0" : await log.LatestIdAsync();
        }

        var (slot, refusal) = limits.TryOpen(context, ShieldPrincipals.ClientOf(context));
        if (refusal is not null) return refusal;
        using var heldSlot = slot;

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var filter = jobFilter?.ToString();
        await WriteAsync(context, "retry: 2000\n\n", cancellationToken);

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var wake = notifications.Next;
                var page = await log.ReadAfterAsync(lastId, PageSize);
                foreach (var stored in page)
                {
                    lastId = stored.Id;
                    // Filtering happens here, server side: a filtered client never receives another job's events.
                    if (filter is null || stored.JobId == filter)
                    {
                        await WriteAsync(context, $"id: {stored.Id}\nevent: {stored.EventType}\ndata: {stored.Json}\n\n", cancellationToken);
                    }
                }
                if (page.Count == PageSize) continue;

                try
                {
                    await wake.WaitAsync(KeepAliveInterval, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // Comments keep proxies and load balancers from closing an idle stream.
                    await WriteAsync(context, ": keep-alive\n\n", cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        return TypedResults.Empty;
    }

    private static async Task WriteAsync(HttpContext context, string text, CancellationToken cancellationToken)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    [GeneratedRegex(@"^\d{1,20}-\d{1,20}$")]
    private static partial Regex StreamId();
}
