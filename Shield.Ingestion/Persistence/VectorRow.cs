namespace Shield.Ingestion.Persistence;

/// <summary>
/// One vector of the embedded vector store (used when no Qdrant is configured): collections as LightRAG keeps
/// them (chunks, entities, relationships), searched by exact cosine similarity.
/// </summary>
public sealed class VectorRow
{
    public required string Collection { get; set; }
    public required string Id { get; set; }
    /// <summary>Unit-length embedding, so a dot product is the cosine similarity.</summary>
    public required float[] Embedding { get; set; }
    public required string Content { get; set; }
    public string PayloadJson { get; set; } = "{}";
    public DateTimeOffset UpdatedAt { get; set; }
}
