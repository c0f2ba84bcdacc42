namespace Shield.Ingestion.Persistence;

/// <summary>The durable copy of a job; Redis holds the fast, expiring one.</summary>
public sealed class JobRow
{
    public Guid Id { get; set; }
    public required string Status { get; set; }
    public required string SourceType { get; set; }
    public int ChunksTotal { get; set; }
    public int ChunksProcessed { get; set; }
    public int ChunksFailed { get; set; }
    public string MetadataJson { get; set; } = "{}";
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}
