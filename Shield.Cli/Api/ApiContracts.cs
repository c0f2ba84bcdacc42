using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Shield.Cli.Api;

/// <summary>The body of <c>POST /lightrag/ingest-async</c>.</summary>
public sealed record IngestRequest(
    [property: JsonPropertyName("chunks")] IReadOnlyList<IngestChunk> Chunks,
    [property: JsonPropertyName("source_type")] string SourceType,
    [property: JsonPropertyName("metadata")] JsonObject? Metadata);

public sealed record IngestChunk(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("source_uri")] string SourceUri,
    [property: JsonPropertyName("metadata")] JsonObject? Metadata);

/// <summary>The 202 answer to a submission.</summary>
public sealed record IngestAccepted(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("chunks_total")] int ChunksTotal,
    [property: JsonPropertyName("status_url")] string? StatusUrl,
    [property: JsonPropertyName("events_url")] string? EventsUrl);

/// <summary><c>GET /jobs/{job_id}</c>.</summary>
public sealed record JobSnapshot(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("source_type")] string? SourceType,
    [property: JsonPropertyName("chunks_total")] int ChunksTotal,
    [property: JsonPropertyName("chunks_processed")] int ChunksProcessed,
    [property: JsonPropertyName("chunks_failed")] int ChunksFailed,
    [property: JsonPropertyName("percent_complete")] double PercentComplete,
    [property: JsonPropertyName("created_at")] DateTimeOffset? CreatedAt,
    [property: JsonPropertyName("started_at")] DateTimeOffset? StartedAt,
    [property: JsonPropertyName("completed_at")] DateTimeOffset? CompletedAt,
    [property: JsonPropertyName("error")] string? Error)
{
    public bool IsFinished => JobStates.IsFinished(Status);
}

/// <summary>The <c>data</c> of one server-sent event: <c>{event_type, job_id, timestamp, data}</c>.</summary>
public sealed record ShieldEvent(
    [property: JsonPropertyName("event_type")] string EventType,
    [property: JsonPropertyName("job_id")] string? JobId,
    [property: JsonPropertyName("timestamp")] DateTimeOffset? Timestamp,
    [property: JsonPropertyName("data")] JsonObject? Data)
{
    public int? Int(string name) => Data?[name] is JsonValue value && value.TryGetValue<double>(out var number) ? (int)number : null;

    public double? Number(string name) => Data?[name] is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    public string? Text(string name) => Data?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

public static class JobStates
{
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinished(string status) => status is Completed or Failed or Cancelled;
}

public static class EventTypes
{
    public const string Queued = "ingestion.queued";
    public const string Started = "ingestion.started";
    public const string Progress = "ingestion.progress";
    public const string Completed = "ingestion.completed";
    public const string Failed = "ingestion.failed";
    public const string Cancelled = "ingestion.cancelled";

    /// <summary>The job state an event ends a job in, if it ends it.</summary>
    public static string? FinalState(string eventType) => eventType switch
    {
        Completed => JobStates.Completed,
        Failed => JobStates.Failed,
        Cancelled => JobStates.Cancelled,
        _ => null,
    };
}

internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
