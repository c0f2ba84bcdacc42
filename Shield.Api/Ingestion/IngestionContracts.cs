using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Shield.Api.Ingestion;

/// <summary>The submission, as documented in OpenAPI (the endpoint reads and validates the body itself).</summary>
public sealed record IngestionRequest(
    [property: JsonPropertyName("chunks")] IReadOnlyList<IngestionChunk> Chunks,
    [property: JsonPropertyName("source_type")] string SourceType,
    [property: JsonPropertyName("metadata")] JsonObject? Metadata);

public sealed record IngestionChunk(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("source_uri")] string SourceUri,
    [property: JsonPropertyName("metadata")] JsonObject? Metadata);

/// <summary>The 202 answer: the job id and where to follow the job.</summary>
public sealed record IngestionAccepted(
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("chunks_total")] int ChunksTotal,
    [property: JsonPropertyName("status_url")] string StatusUrl,
    [property: JsonPropertyName("events_url")] string EventsUrl);
