namespace Shield.Workers.Graph;

/// <summary>What extraction found in one chunk, ready to merge: names already normalised, relation pairs in any order.</summary>
public sealed record ChunkGraph(string ChunkId, IReadOnlyList<EntityMention> Entities, IReadOnlyList<RelationMention> Relations);

public sealed record EntityMention(string Name, string EntityType, string Description);

public sealed record RelationMention(string Source, string Target, IReadOnlyList<string> Keywords, string Description, double Weight);

/// <summary>A node as it stands after a merge; what the entity vector is built from.</summary>
public sealed record MergedEntity(string Name, string EntityType, string Description, IReadOnlyList<string> SourceChunkIds);

/// <summary>An edge as it stands after a merge (endpoints in ordinal order).</summary>
public sealed record MergedRelationship(string Source, string Target, IReadOnlyList<string> Keywords, string Description, double Weight, IReadOnlyList<string> SourceChunkIds);

/// <summary>The nodes and edges a merge touched: upserted ones get fresh vectors, removed ones lose theirs.</summary>
public sealed record GraphMergeResult(
    IReadOnlyList<MergedEntity> Entities,
    IReadOnlyList<string> RemovedEntities,
    IReadOnlyList<MergedRelationship> Relationships,
    IReadOnlyList<(string Source, string Target)> RemovedRelationships);

/// <summary>LightRAG's merge constants (v1.5 defaults).</summary>
public static class GraphMergeRules
{
    /// <summary>Fragment separator in stored descriptions and source ids, as LightRAG's GRAPH_FIELD_SEP.</summary>
    public const string Separator = "<SEP>";

    /// <summary>From this many description fragments on, the description is summarised (force_llm_summary_on_merge).</summary>
    public const int SummaryFragmentThreshold = 8;

    /// <summary>Joined descriptions longer than this many tokens are summarised too (summary_max_tokens).</summary>
    public const int SummaryTokenThreshold = 1200;

    /// <summary>Source chunk ids kept per node or edge; the oldest are kept (max_source_ids_per_entity).</summary>
    public const int MaxSourceIds = 200;

    /// <summary>The type given to an endpoint that no chunk described as an entity.</summary>
    public const string UnknownType = "UNKNOWN";

    /// <summary>Rough token count (about four characters per token for English) used only for the summary threshold.</summary>
    public static int ApproximateTokens(string text) => (text.Length + 3) / 4;

    public static (string Source, string Target) SortedPair(string a, string b) =>
        string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);
}
