namespace Shield.Ingestion.Persistence;

/// <summary>
/// A processed chunk, keyed by its content address like LightRAG's text-chunk store, so reprocessing the
/// same text overwrites the row instead of adding one.
/// </summary>
public sealed class ChunkRow
{
    public required string Id { get; set; }
    public required string Content { get; set; }
    public required string SourceUri { get; set; }
    public required string SourceType { get; set; }
    public string MetadataJson { get; set; } = "{}";
    /// <summary>The job that last processed this text, and the chunk's position in it.</summary>
    public Guid JobId { get; set; }
    public int ChunkIndex { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
