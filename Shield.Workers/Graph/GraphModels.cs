using System.Security.Cryptography;
using System.Text;

namespace Shield.Workers.Graph;

/// <summary>What extraction found in one chunk, ready to merge: names already normalised, relation pairs in any order.</summary>
public sealed record ChunkGraph(string ChunkId, IReadOnlyList<EntityMention> Entities, IReadOnlyList<RelationMention> Relations);

public sealed record EntityMention(string Name, string EntityType, string Description);

public sealed record RelationMention(string Source, string Target, IReadOnlyList<string> Keywords, string Description, double Weight);

/// <summary>What a chunk's merge changed: the nodes and edges it touched (now waiting for its job's finalisation).</summary>
public sealed record ChunkMergeResult(int Entities, int Relationships, int FragmentsChanged);

/// <summary>A node or edge by key: an entity name, or an edge's sorted endpoints.</summary>
public readonly record struct GraphKey(string Source, string Target)
{
    public static GraphKey Entity(string name) => new(name, "");

    public static GraphKey Edge(string a, string b)
    {
        var (source, target) = GraphMergeRules.SortedPair(a, b);
        return new GraphKey(source, target);
    }

    public bool IsEntity => Target.Length == 0;

    /// <summary>
    /// The PostgreSQL advisory lock (hashed by <c>hashtextextended</c>) that every transaction writing this node's or
    /// edge's rows takes first, in one global order: a merge, a release and a finalisation's publish.
    /// </summary>
    public string LockName => IsEntity ? "entity:" + Source : $"edge:{Source}\u0001{Target}";

    /// <summary>The lock a finalisation holds while it writes this element's vector, so vector writes follow publishes in order.</summary>
    public string VectorLockName => "vector:" + LockName;

    public override string ToString() => IsEntity ? Source : $"{Source} — {Target}";
}

/// <summary>One fragment of a node or edge: what one chunk said about it.</summary>
public sealed record GraphFragment(string ChunkId, string Type, string Description, string[] Keywords, double Weight)
{
    /// <summary>Same statement: a chunk saying this again changes nothing.</summary>
    public bool SaysTheSameAs(GraphFragment other) =>
        Type == other.Type && Description == other.Description && Weight.Equals(other.Weight) && Keywords.SequenceEqual(other.Keywords);
}

/// <summary>LightRAG's merge constants (v1.5 defaults).</summary>
public static class GraphMergeRules
{
    /// <summary>Fragment separator in stored descriptions and source ids, as LightRAG's GRAPH_FIELD_SEP.</summary>
    public const string Separator = "<SEP>";

    /// <summary>From this many description items on, the description is summarised (force_llm_summary_on_merge).</summary>
    public const int SummaryFragmentThreshold = 8;

    /// <summary>Joined descriptions longer than this many tokens are summarised too (summary_max_tokens).</summary>
    public const int SummaryTokenThreshold = 1200;

    /// <summary>Source chunk ids kept per node or edge (max_source_ids_per_entity), the first in chunk-id order.</summary>
    public const int MaxSourceIds = 200;

    /// <summary>The type given to an endpoint that no chunk described as an entity.</summary>
    public const string UnknownType = "UNKNOWN";

    /// <summary>Rough token count (about four characters per token for English) used only for the summary threshold.</summary>
    public static int ApproximateTokens(string text) => (text.Length + 3) / 4;

    public static (string Source, string Target) SortedPair(string a, string b) =>
        string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);

    public static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>MD5 of a description as PostgreSQL's <c>md5(text)::uuid</c> spells it: the key of its description row.</summary>
    public static Guid DescriptionHash(string description) => Guid.ParseExact(Md5(description), "N");
}
