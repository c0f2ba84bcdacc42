using System.Text.Json.Serialization;

namespace Shield.Contracts.Documents;

/// <summary>The JSON form of <c>POST /documents</c>, as documented in OpenAPI (the endpoint reads and validates the body itself).</summary>
public sealed record DocumentTextRequest(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("source_name")] string SourceName,
    [property: JsonPropertyName("reprocess")] bool? Reprocess,
    [property: JsonPropertyName("split_by_character")] string? SplitByCharacter,
    [property: JsonPropertyName("split_by_character_only")] bool? SplitByCharacterOnly);

/// <summary>What became of each file of an upload, in the order sent.</summary>
public sealed record DocumentUploadResult([property: JsonPropertyName("documents")] IReadOnlyList<UploadedDocument> Documents);

/// <param name="Disposition">
/// <c>queued</c>: its ingestion job was queued by this request; <c>existing</c>: already known (not reprocessed), nothing
/// queued; <c>duplicate</c>: the same text as an earlier file of this request; <c>deleting</c>: being deleted, nothing queued.
/// </param>
/// <param name="JobId">The job queued for it, or its latest ingest job when nothing was queued.</param>
public sealed record UploadedDocument(
    [property: JsonPropertyName("file_name")] string FileName,
    [property: JsonPropertyName("document_id")] string DocumentId,
    [property: JsonPropertyName("disposition")] string Disposition,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("chunks")] int Chunks,
    [property: JsonPropertyName("job_id")] Guid? JobId,
    [property: JsonPropertyName("status_url")] string StatusUrl,
    [property: JsonPropertyName("job_status_url")] string? JobStatusUrl,
    [property: JsonPropertyName("events_url")] string? EventsUrl);

/// <summary>The values of <see cref="UploadedDocument.Disposition"/>.</summary>
public static class UploadDispositions
{
    public const string Queued = "queued";
    public const string Existing = "existing";
    public const string Duplicate = "duplicate";
    public const string Deleting = "deleting";
}

/// <summary>What <c>GET /documents/{document_id}</c> answers.</summary>
public sealed record DocumentView(
    [property: JsonPropertyName("document_id")] string DocumentId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("source_name")] string SourceName,
    [property: JsonPropertyName("content_type")] string ContentType,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("content_length")] int ContentLength,
    [property: JsonPropertyName("content_summary")] string ContentSummary,
    [property: JsonPropertyName("chunk_count")] int ChunkCount,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt,
    [property: JsonPropertyName("status_url")] string StatusUrl,
    [property: JsonPropertyName("jobs")] IReadOnlyList<DocumentJobView> Jobs);

/// <param name="Kind"><c>ingest</c> or <c>delete</c>.</param>
public sealed record DocumentJobView(
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("status_url")] string StatusUrl,
    [property: JsonPropertyName("events_url")] string EventsUrl);

/// <summary>A page of <c>GET /documents</c>: pass <see cref="NextCursor"/> as <c>cursor</c> for the next one (null on the last page).</summary>
public sealed record DocumentList(
    [property: JsonPropertyName("documents")] IReadOnlyList<DocumentView> Documents,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);

/// <summary>The 202 answer of <c>DELETE /documents/{document_id}</c>: the deletion job and where to follow it.</summary>
public sealed record DocumentDeletionAccepted(
    [property: JsonPropertyName("document_id")] string DocumentId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("status_url")] string StatusUrl,
    [property: JsonPropertyName("job_status_url")] string JobStatusUrl,
    [property: JsonPropertyName("events_url")] string EventsUrl);

/// <summary>
/// The fields of a <c>POST /documents</c> upload (multipart form fields, or query parameters for the options). The Api
/// reads the body itself, to answer every fault with its own problem, so it takes the names from here.
/// </summary>
public static class UploadFields
{
    public const string Files = "files";
    public const string Reprocess = "reprocess";
    public const string SplitByCharacter = "split_by_character";
    public const string SplitByCharacterOnly = "split_by_character_only";
}
