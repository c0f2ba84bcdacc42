namespace Shield.Knowledge;

/// <summary>A vector with the content it embeds and the ids a query needs back.</summary>
public sealed record VectorPoint(string Id, ReadOnlyMemory<float> Embedding, string Content, string PayloadJson);

/// <summary>A search hit: cosine similarity in [-1, 1], with the content and payload stored beside the vector.</summary>
public sealed record VectorMatch(string Id, double Score, string Content, string PayloadJson);

/// <summary>The collections LightRAG keeps, by name.</summary>
public static class VectorCollections
{
    public const string Chunks = "chunks";
    public const string Entities = "entities";
    public const string Relationships = "relationships";
}

/// <summary>Where vectors are written: Qdrant in live mode, PostgreSQL in embedded mode.</summary>
public interface IVectorStore
{
    /// <summary>Human-readable backend name for logs and <c>/health/detailed</c>.</summary>
    string Description { get; }

    /// <summary>Writes points by id; writing the same id again replaces it, so reprocessing never duplicates.</summary>
    Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken);

    /// <summary>The <paramref name="topK"/> points most similar to <paramref name="query"/>, best first.</summary>
    Task<IReadOnlyList<VectorMatch>> SearchAsync(string collection, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken);

    /// <summary>Removes points by id (a graph node or edge that no chunk mentions any more).</summary>
    Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken);
}
