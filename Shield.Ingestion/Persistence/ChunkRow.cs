namespace Shield.Ingestion.Persistence;

/// <summary>
/// A processed chunk's text, keyed by its content address like LightRAG's text-chunk store, so the same text is one
/// row however many jobs (or documents) contain it. Who submitted it, and where it sat, is in <see cref="JobChunkRow"/>.
/// </summary>
public sealed class ChunkRow
{
    public required string Id { get; set; }
    public required string Content { get; set; }
    /// <summary>
    /// Fingerprint of the extraction and embedding settings this text's fragments and vector were made with, set once
    /// they are all stored; null until then. The same text under the same settings is not extracted or embedded again.
    /// </summary>
    public string? ExtractionSettings { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// One chunk of one job: the job's <see cref="ChunkIndex"/>-th chunk is the text <see cref="ChunkId"/>, submitted from
/// <see cref="SourceUri"/>. Written when the chunk is stored, so a job's rows are exactly its stored chunks, and two
/// jobs that share a text each own it.
/// </summary>
public sealed class JobChunkRow
{
    public Guid JobId { get; set; }
    public int ChunkIndex { get; set; }
    public required string ChunkId { get; set; }
    public required string SourceUri { get; set; }
    public required string SourceType { get; set; }
    public string MetadataJson { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
}
