using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Shield.Ingestion.Events;

/// <summary>An event on the event stream, as clients receive it (JSON, snake_case).</summary>
public sealed record IngestionEvent(
    [property: JsonPropertyName("event_type")] string EventType,
    [property: JsonPropertyName("job_id")] string? JobId,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("data")] JsonObject Data)
{
    public string ToJson() => JsonSerializer.Serialize(this, EventJson.Options);
}

public static class EventTypes
{
    public const string Queued = "ingestion.queued";
    public const string Started = "ingestion.started";
    public const string Progress = "ingestion.progress";
    public const string Completed = "ingestion.completed";
    public const string Failed = "ingestion.failed";
    public const string Cancelled = "ingestion.cancelled";
    public const string WorkerStarted = "worker.started";
    public const string WorkerStopped = "worker.stopped";
}

internal static class EventJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
