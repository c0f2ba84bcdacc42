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

    /// <summary>The PostgreSQL advisory lock the merge and the finalisation both take for this node or edge.</summary>
    public string LockName => IsEntity ? "entity:" + Source : $"edge:{Source}\u0001{Target}";

    public override string ToString() => IsEntity ? Source : $"{Source} — {Target}";
}

/// <summary>One fragment of a node or edge: what one chunk said about it.</summary>
public sealed record GraphFragment(string ChunkId, string Type, string Description, string[] Keywords, double Weight, bool InSummary);

/// <summary>
/// A node or edge computed from its fragments (and its last model summary) by LightRAG's merge rules: the merge writes
/// it after every chunk (no model call), the finalisation writes it once per job (with a summary where
/// <see cref="SummaryFor"/> asks for one). Fragments are taken in chunk-id order, so a graph is a function of its
/// fragments, its summary and what that summary covers, and a deletion can rebuild exactly what a knowledge base
/// without the deleted document holds.
/// </summary>
public sealed record GraphElement(
    GraphKey Key,
    string Type,
    string Description,
    IReadOnlyList<string> Items,
    string[] Keywords,
    double Weight,
    string[] SourceChunkIds,
    int FragmentCount,
    string FragmentsHash,
    string? Summary,
    bool Summarized)
{
    /// <summary>The fragments it was computed from, in chunk-id order (<see cref="GraphFragment.InSummary"/>: covered by <see cref="Summary"/>).</summary>
    public IReadOnlyList<GraphFragment> Fragments { get; init; } = [];

    /// <summary>
    /// Its fragments, its summary and which fragments that summary covers, as one hash: a finalisation writes what it
    /// computed only if this is still what the store holds (another job's merge or summary in between makes it stale).
    /// </summary>
    public string StateHash { get; init; } = "";

    /// <summary>
    /// Computes the element. With a summary, the items are the summary and the fragments it does not cover yet (LightRAG
    /// keeps a summary and appends what later documents say); without one, every distinct fragment.
    /// </summary>
    public static GraphElement? From(GraphKey key, IReadOnlyList<GraphFragment> fragments, string? summary)
    {
        if (fragments.Count == 0)
        {
            return null;
        }
        var ordered = fragments.OrderBy(f => f.ChunkId, StringComparer.Ordinal).ToList();
        var type = key.IsEntity ? VoteType(ordered) : "";
        var covered = summary is not null && ordered.Any(f => f.InSummary);
        var items = covered
            ? [summary!, .. ordered.Where(f => !f.InSummary).Select(f => f.Description).Distinct(StringComparer.Ordinal).Where(d => d != summary)]
            : ordered.Select(f => f.Description).Distinct(StringComparer.Ordinal).ToList();
        var description = items.Count == 1 ? items[0] : string.Join(GraphMergeRules.Separator, items);
        var fragmentsHash = Hash(ordered);
        var coverage = covered ? string.Join(',', ordered.Where(f => f.InSummary).Select(f => f.ChunkId)) + "\u0001" + summary : "";
        return new GraphElement(
            key,
            type,
            description,
            items,
            [.. ordered.SelectMany(f => f.Keywords).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            ordered.Sum(f => f.Weight),
            [.. ordered.Select(f => f.ChunkId).Distinct(StringComparer.Ordinal).Take(GraphMergeRules.MaxSourceIds)],
            ordered.Select(f => f.Description).Distinct(StringComparer.Ordinal).Count(),
            fragmentsHash,
            covered ? summary : null,
            covered && items.Count == 1)
        {
            Fragments = ordered,
            StateHash = Md5(fragmentsHash + "\u0002" + coverage),
        };
    }

    /// <summary>
    /// What a job's finalisation asks the model to summarise, given the chunks the job holds (null: nothing). LightRAG's
    /// thresholds, counted per job so that what earlier documents said does not make a new one pay:
    /// <list type="bullet">
    /// <item>the job's own chunks give 8 distinct descriptions or more, some not yet summarised: the model summarises the
    /// last summary (if any) with the job's descriptions it does not cover; descriptions other jobs left joined stay
    /// joined after it;</item>
    /// <item>the whole description joined passes 1,200 tokens: the model summarises all of it (this bounds what many
    /// small contributions add up to).</item>
    /// </list>
    /// Neither depends on what other jobs are doing at the time, so two jobs at once end as the same two jobs one after
    /// the other do. LightRAG counts every description the node holds (old ones included), so there a node mentioned a
    /// few times in each of many documents is summarised again and again as the knowledge base grows.
    /// </summary>
    public SummaryPlan? SummaryFor(IReadOnlySet<string> jobChunks)
    {
        if (Items.Count <= 1)
        {
            return null;
        }
        if (GraphMergeRules.ApproximateTokens(Description) > GraphMergeRules.SummaryTokenThreshold)
        {
            return new SummaryPlan(Items, Fragments.Select(f => f.ChunkId).ToHashSet(StringComparer.Ordinal));
        }
        var own = Fragments.Where(f => jobChunks.Contains(f.ChunkId)).ToList();
        if (own.Select(f => f.Description).Distinct(StringComparer.Ordinal).Count() < GraphMergeRules.SummaryFragmentThreshold)
        {
            return null;
        }
        var uncovered = own.Where(f => Summary is null || !f.InSummary).ToList();
        List<string> items = [.. Summary is null ? [] : new[] { Summary },
            .. uncovered.Select(f => f.Description).Distinct(StringComparer.Ordinal).Where(d => d != Summary)];
        return items.Count > 1 ? new SummaryPlan(items, uncovered.Select(f => f.ChunkId).ToHashSet(StringComparer.Ordinal)) : null;
    }

    /// <summary>The element once <paramref name="summary"/> (of <paramref name="plan"/>'s items) covers the plan's fragments too.</summary>
    public GraphElement WithSummary(string summary, SummaryPlan plan) =>
        From(Key, [.. Fragments.Select(f => f with { InSummary = plan.CoveredChunks.Contains(f.ChunkId) || (Summary is not null && f.InSummary) })], summary)!;

    /// <summary>The text LightRAG embeds for it: <c>name\ndescription</c>, or <c>keywords\tsource\ntarget\ndescription</c>.</summary>
    public string VectorText => Key.IsEntity
        ? $"{Key.Source}\n{Description}"
        : $"{string.Join(",", Keywords)}\t{Key.Source}\n{Key.Target}\n{Description}";

    /// <summary>Most frequent type wins, ties to the first in chunk order; UNKNOWN only when nothing better was said.</summary>
    private static string VoteType(List<GraphFragment> ordered) =>
        ordered.Select((f, i) => (f.Type, i)).GroupBy(f => f.Type)
            .OrderByDescending(g => g.Key != GraphMergeRules.UnknownType).ThenByDescending(g => g.Count()).ThenBy(g => g.Min(f => f.i))
            .First().Key;

    private static string Hash(List<GraphFragment> ordered)
    {
        var text = new StringBuilder();
        foreach (var f in ordered)
        {
            text.Append(f.ChunkId).Append('\u0001').Append(f.Type).Append('\u0001').Append(f.Description).Append('\u0001')
                .AppendJoin(',', f.Keywords).Append('\u0001').Append(f.Weight.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\u0002');
        }
        return Md5(text.ToString());
    }

    public static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>What a finalisation asks the model to summarise, and the fragments (by chunk id) the summary then covers.</summary>
public sealed record SummaryPlan(IReadOnlyList<string> Items, IReadOnlySet<string> CoveredChunks);

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
}
