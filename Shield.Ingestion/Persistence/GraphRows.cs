namespace Shield.Ingestion.Persistence;

/// <summary>
/// A knowledge-graph node, merged from every chunk that mentioned it (LightRAG's merge rules): the type is the most
/// frequent one given, the description joins the distinct fragments or, past the threshold, is a model summary.
/// </summary>
public sealed class GraphEntityRow
{
    public required string Name { get; set; }
    public required string EntityType { get; set; }
    public required string Description { get; set; }
    public required string[] SourceChunkIds { get; set; }
    public int FragmentCount { get; set; }
    /// <summary>MD5 of the fragments the description was built from; a summary is only reused while it matches.</summary>
    public required string FragmentsHash { get; set; }
    public bool Summarized { get; set; }
    /// <summary>The last model summary, covering the fragments marked <c>InSummary</c>; null when none (or it was invalidated).</summary>
    public string? Summary { get; set; }
    /// <summary>MD5 of the vector point last written for this node (its text and payload); null before the first.</summary>
    public string? PointHash { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>What one chunk said about one entity. Replaced when the chunk is processed again.</summary>
public sealed class GraphEntityFragmentRow
{
    public required string EntityName { get; set; }
    public required string ChunkId { get; set; }
    public required string EntityType { get; set; }
    public required string Description { get; set; }
    /// <summary>True once the entity's summary covers this fragment.</summary>
    public bool InSummary { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An undirected edge, stored with its endpoints in ordinal order (LightRAG's sorted pair).</summary>
public sealed class GraphRelationshipRow
{
    public required string SourceName { get; set; }
    public required string TargetName { get; set; }
    public required string[] Keywords { get; set; }
    public required string Description { get; set; }
    public double Weight { get; set; }
    public required string[] SourceChunkIds { get; set; }
    public int FragmentCount { get; set; }
    public required string FragmentsHash { get; set; }
    public bool Summarized { get; set; }
    public string? Summary { get; set; }
    public string? PointHash { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>What one chunk said about one relationship.</summary>
public sealed class GraphRelationshipFragmentRow
{
    public required string SourceName { get; set; }
    public required string TargetName { get; set; }
    public required string ChunkId { get; set; }
    public required string[] Keywords { get; set; }
    public required string Description { get; set; }
    public double Weight { get; set; }
    public bool InSummary { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A node or edge a job changed (its chunks' fragments, or a deletion), waiting for the job's finalisation to
/// summarise and embed it once. <see cref="TargetName"/> is empty for a node.
/// </summary>
public sealed class JobGraphChangeRow
{
    public Guid JobId { get; set; }
    public required string SourceName { get; set; }
    public required string TargetName { get; set; }
}

/// <summary>A cached model answer or embedding (<c>IDistributedCache</c> over PostgreSQL), keyed by the hash of what was asked.</summary>
public sealed class ModelCacheEntryRow
{
    public required string Key { get; set; }
    public required byte[] Value { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastUsedAt { get; set; }
}
