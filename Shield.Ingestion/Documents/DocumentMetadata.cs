using System.Text.Json;

namespace Shield.Ingestion.Documents;

/// <summary>
/// How a document's chunks say whose they are: the ingest job's metadata carries <see cref="DocumentIdField"/>, and every
/// chunk's metadata is merged over the job's, so a worker reads it per chunk.
/// </summary>
public static class DocumentMetadata
{
    public const string DocumentIdField = "document_id";

    /// <summary>The document a chunk belongs to, from its merged metadata; null for a chunk sent without one.</summary>
    public static string? DocumentIdOf(string metadataJson)
    {
        // Most chunks come without a document: skip the parse for them.
        if (!metadataJson.Contains("\"" + DocumentIdField + "\"", StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            using var metadata = JsonDocument.Parse(metadataJson);
            return metadata.RootElement.ValueKind == JsonValueKind.Object
                && metadata.RootElement.TryGetProperty(DocumentIdField, out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
