using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Shield.Contracts.Ingestion;

/// <summary>The body of <c>POST /lightrag/ingest-async</c>.</summary>
public sealed record IngestionRequest(
    [property: JsonPropertyName(IngestionFields.Chunks)] IReadOnlyList<IngestionChunk> Chunks,
    [property: JsonPropertyName(IngestionFields.SourceType)] string SourceType,
    [property: JsonPropertyName(IngestionFields.Metadata)] JsonObject? Metadata);

public sealed record IngestionChunk(
    [property: JsonPropertyName(IngestionFields.Text)] string Text,
    [property: JsonPropertyName(IngestionFields.SourceUri)] string SourceUri,
    [property: JsonPropertyName(IngestionFields.Metadata)] JsonObject? Metadata);

/// <summary>The 202 answer to a submission: the job id and where to follow the job.</summary>
public sealed record IngestionAccepted(
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("chunks_total")] int ChunksTotal,
    [property: JsonPropertyName("status_url")] string StatusUrl,
    [property: JsonPropertyName("events_url")] string EventsUrl);

/// <summary>
/// The submission's field names. The Api validates a body field by field (to name every mistake in its problem
/// document) rather than by binding these records, so it reads the names from here.
/// </summary>
public static class IngestionFields
{
    public const string Chunks = "chunks";
    public const string SourceType = "source_type";
    public const string Metadata = "metadata";
    public const string Text = "text";
    public const string SourceUri = "source_uri";
}
