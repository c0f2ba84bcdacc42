namespace Shield.Ingestion.Persistence;

/// <summary>
/// A knowledge-graph node as its last finalisation published it, merged from every chunk that mentioned it (LightRAG's
/// merge rules): the type is the most frequent one given, the description joins the distinct descriptions or, past the
/// threshold, is a model summary. Only a job's finalisation writes it; a chunk's merge keeps the node's working state
/// (<see cref="GraphElementStateRow"/>, <see cref="GraphDescriptionRow"/>) instead, so readers never see a node half-merged.
/// </summary>
public sealed class GraphEntityRow
{
    public required string Name { get; set; }
    public required string EntityType { get; set; }
    public required string Description { get; set; }
    public required string[] SourceChunkIds { get; set; }
    public int FragmentCount { get; set; }
    /// <summary>MD5 of everything published here: a finalisation that would publish the same writes nothing.</summary>
    public required string ViewHash { get; set; }
    public bool Summarized { get; set; }
    /// <summary>The last model summary, covering the descriptions marked <see cref="GraphDescriptionRow.Covered"/>; null when none.</summary>
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
    public required string ViewHash { get; set; }
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
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A node's or edge's working state, kept by every chunk's merge in constant time (counts and sums over its fragments,
/// never the fragments themselves): what its job's finalisation composes the published row from.
/// <see cref="TargetName"/> is empty for a node.
/// </summary>
public sealed class GraphElementStateRow
{
    public required string SourceName { get; set; }
    public required string TargetName { get; set; }
    /// <summary>Raised by every change (a merge, a release, a finalisation): a finalisation publishes only the version it read.</summary>
    public long Version { get; set; }
    /// <summary>The <see cref="Version"/> its last publish left (while the two are equal, nothing changed since it was published).</summary>
    public long PublishedVersion { get; set; }
    /// <summary>The element's own fragments (for a node, what chunks said of it as an entity).</summary>
    public int Fragments { get; set; }
    /// <summary>For a node: fragments of the edges that end at it (its description when no chunk described it).</summary>
    public int EndpointFragments { get; set; }
    /// <summary>Distinct descriptions among <see cref="Fragments"/>.</summary>
    public int Descriptions { get; set; }
    /// <summary>Distinct descriptions among <see cref="EndpointFragments"/>, kept only while the node has no fragments of its own.</summary>
    public int EndpointDescriptions { get; set; }
    /// <summary>For an edge: the exact sum of its fragments' weights (numeric, so removing a fragment restores the sum exactly).</summary>
    public decimal Weight { get; set; }
    /// <summary>
    /// A fragment was removed (a deletion, a chunk that now says something else) or a summary failed: the next
    /// finalisation rebuilds the element from all its fragments, replaying the summaries of the jobs that hold them.
    /// </summary>
    public bool NeedsReplay { get; set; }
}

/// <summary>One distinct description of a node or edge, with how many of its fragments say it.</summary>
public sealed class GraphDescriptionRow
{
    public required string SourceName { get; set; }
    public required string TargetName { get; set; }
    /// <summary>
    /// <see cref="GraphDescriptionKinds"/>: the element's own fragments, or (for a node no chunk describes as an entity,
    /// and only while none does) the edges that end at it.
    /// </summary>
    public short Kind { get; set; }
    /// <summary>MD5 of <see cref="Description"/>, as a uuid.</summary>
    public Guid DescriptionHash { get; set; }
    public required string Description { get; set; }
    public int Fragments { get; set; }
    /// <summary>The least chunk id that says it: descriptions are listed in this order.</summary>
    public required string FirstChunkId { get; set; }
    /// <summary>The element's summary covers it: it is no longer listed after the summary.</summary>
    public bool Covered { get; set; }
}

/// <summary>The kinds of <see cref="GraphDescriptionRow"/>.</summary>
public static class GraphDescriptionKinds
{
    public const short Own = 0;
    public const short Endpoint = 1;
}

/// <summary>How many of a node's fragments give it one type, and the first chunk that does (the vote's tie-break).</summary>
public sealed class GraphEntityTypeRow
{
    public required string EntityName { get; set; }
    public required string EntityType { get; set; }
    public int Fragments { get; set; }
    public required string FirstChunkId { get; set; }
}

/// <summary>How many of an edge's fragments name one keyword (the edge's keywords are those with any).</summary>
public sealed class GraphRelationshipKeywordRow
{
    public required string SourceName { get; set; }
    public required string TargetName { get; set; }
    public required string Keyword { get; set; }
    public int Fragments { get; set; }
}

/// <summary>
/// A node or edge a job changed (its chunks' fragments, or a deletion), waiting for the job's finalisation to
/// summarise and embed it once. <see cref="TargetName"/> is empty for a node. Once published, it stays until the
/// vector it calls for is written (<see cref="VectorPending"/>), so a process killed between the two leaves the write
/// to the next delivery, which composes the element again from what was published and writes the vector if its point
/// is still <see cref="PointHash"/>.
/// </summary>
public sealed class JobGraphChangeRow
{
    public Guid JobId { get; set; }
    public required string SourceName { get; set; }
    public required string TargetName { get; set; }
    /// <summary>Published; its vector (of <see cref="PointHash"/>; none: removed) is still to be written.</summary>
    public bool VectorPending { get; set; }
    public string? PointHash { get; set; }
}

/// <summary>A cached model answer or embedding (<c>IDistributedCache</c> over PostgreSQL), keyed by the hash of what was asked.</summary>
public sealed class ModelCacheEntryRow
{
    public required string Key { get; set; }
    public required byte[] Value { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastUsedAt { get; set; }
    /// <summary>The value's size, kept by PostgreSQL (a stored generated column), so the size bound sums an index, not the table.</summary>
    public int SizeBytes { get; set; }
}
