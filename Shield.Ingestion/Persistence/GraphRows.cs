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
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>What one chunk said about one entity. Replaced as a whole when the chunk is processed again.</summary>
public sealed class GraphEntityFragmentRow
{
    public required string EntityName { get; set; }
    public required string ChunkId { get; set; }
    public required string EntityType { get; set; }
    public required string Description { get; set; }
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
    public DateTimeOffset CreatedAt { get; set; }
}
