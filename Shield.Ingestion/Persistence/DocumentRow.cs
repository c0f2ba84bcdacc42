namespace Shield.Ingestion.Persistence;

/// <summary>
/// A document, as LightRAG's document status store keeps it: id <c>doc-</c> + MD5 of its text, where it came from, and
/// how far it is (<see cref="Documents.DocumentStatus"/>). Its chunks are the <see cref="JobChunkRow"/>s of its ingest
/// jobs (<see cref="DocumentJobRow"/>).
/// </summary>
public sealed class DocumentRow
{
    public required string Id { get; set; }
    public required string Status { get; set; }
    /// <summary>The file name it was uploaded as, or the name sent with a text.</summary>
    public required string SourceName { get; set; }
    public required string ContentType { get; set; }
    /// <summary>Bytes as sent.</summary>
    public long SizeBytes { get; set; }
    /// <summary>Characters of extracted text.</summary>
    public int ContentLength { get; set; }
    /// <summary>The text's first characters, as LightRAG's <c>content_summary</c>.</summary>
    public required string ContentSummary { get; set; }
    /// <summary>Chunks its latest ingestion cut it into.</summary>
    public int ChunkCount { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>PostgreSQL's <c>xmin</c>: two requests that change the same document cannot both win.</summary>
    public uint Version { get; set; }
}

/// <summary>One job of a document: an ingestion (<c>ingest</c>) or its deletion (<c>delete</c>).</summary>
public sealed class DocumentJobRow
{
    public required string DocumentId { get; set; }
    public Guid JobId { get; set; }
    public required string Kind { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
