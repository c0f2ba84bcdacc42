using System.Text.Json.Serialization;
using Shield.Api.Jobs;
using Shield.Contracts.Documents;
using Shield.Ingestion.Documents;

namespace Shield.Api.Documents;

/// <summary>The multipart form of <c>POST /documents</c>, as documented in OpenAPI.</summary>
public sealed record DocumentUploadForm(
    [property: JsonPropertyName("files")] IFormFileCollection Files,
    [property: JsonPropertyName("reprocess")] bool? Reprocess,
    [property: JsonPropertyName("split_by_character")] string? SplitByCharacter,
    [property: JsonPropertyName("split_by_character_only")] bool? SplitByCharacterOnly);

/// <summary>How the Api shows a stored document on the wire (the records themselves are in <c>Shield.Contracts/Documents</c>).</summary>
public static class DocumentViews
{
    public static DocumentView ToView(this DocumentSnapshot d) => new(d.DocumentId, d.Status, d.SourceName, d.ContentType, d.SizeBytes,
        d.ContentLength, d.ContentSummary, d.ChunkCount, d.Error, d.CreatedAt, d.UpdatedAt, DocumentUrls.Status(d.DocumentId),
        [.. d.Jobs.Select(j => new DocumentJobView(j.JobId, j.Kind, j.CreatedAt, JobUrls.Status(j.JobId), JobUrls.Events(j.JobId)))]);
}

public static class DocumentUrls
{
    public static string Status(string documentId) => $"/documents/{documentId}";
}
