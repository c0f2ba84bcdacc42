using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shield.Cli.Api;
using Shield.Contracts.Events;

namespace Shield.Cli.Commands;

/// <summary>One readable line per event: time, type, job, and what the event says.</summary>
public static class EventFormatter
{
    public static string Format(ServerSentEvent sse)
    {
        try
        {
            if (IngestionEvent.Parse(sse.Data) is { } e)
            {
                var time = e.Timestamp.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                var subject = e.JobId is null ? "" : $"  job {e.JobId}";
                return $"{time}  {e.EventType,-20}{subject}  {Describe(e)}".TrimEnd();
            }
        }
        catch (JsonException)
        {
            // Not an event of this version's shape: shown as it came.
        }
        return $"{sse.Event ?? "message"}  {sse.Data}";
    }

    private static string Describe(IngestionEvent e) => e.EventType switch
    {
        EventTypes.Queued when e.DataAs<JobQueuedData>() is var queued =>
            $"{Chunks(queued.ChunksTotal)} queued (source type {queued.SourceType})",
        EventTypes.Started => Chunks(e.DataAs<JobStartedData>().ChunksTotal),
        EventTypes.Progress when e.DataAs<JobProgressData>() is var progress =>
            $"{progress.ChunksProcessed + progress.ChunksFailed}/{progress.ChunksTotal} chunks done, {progress.ChunksFailed} failed " +
            $"({progress.PercentComplete.ToString("0.##", CultureInfo.InvariantCulture)}%)",
        EventTypes.Completed or EventTypes.Failed when e.DataAs<JobFinishedData>() is var finished =>
            $"{finished.ChunksProcessed} processed, {finished.ChunksFailed} failed of {finished.ChunksTotal} " +
            $"in {finished.DurationSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s" +
            (finished.Error is { } error ? $"; error: {error}" : ""),
        EventTypes.Cancelled when e.DataAs<JobCancelledData>() is var cancelled =>
            $"{cancelled.ChunksProcessed} processed, {cancelled.ChunksFailed} failed of {cancelled.ChunksTotal}",
        _ => string.Join(", ", e.Data.Select(p => $"{p.Key}={Value(p.Value)}")),
    };

    private static string Chunks(int count) => count == 1 ? "1 chunk" : $"{count} chunks";

    private static string Value(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString() ?? "null";
}
