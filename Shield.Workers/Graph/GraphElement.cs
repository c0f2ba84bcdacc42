using System.Globalization;
using System.Text;
using Shield.Ingestion.Persistence;

namespace Shield.Workers.Graph;

/// <summary>One distinct description of a node or edge, listed by the least chunk id that says it.</summary>
public sealed record Description(Guid Hash, string Text, string FirstChunkId);

/// <summary>
/// What a node's or edge's description is made of: its last model summary (if any) and the distinct descriptions the
/// summary does not cover, in chunk-id order. LightRAG keeps a summary as one description and appends what later
/// documents say; without a summary every distinct description is listed.
/// </summary>
public sealed record ElementDescriptions(string? Summary, IReadOnlyList<Description> Uncovered)
{
    /// <summary>The description items: the summary, then the uncovered descriptions (a repeat of the summary is not listed twice).</summary>
    public IReadOnlyList<string> Items { get; } = Summary is null
        ? [.. Uncovered.Select(d => d.Text)]
        : [Summary, .. Uncovered.Select(d => d.Text).Where(t => t != Summary)];

    public string Joined => Items.Count == 1 ? Items[0] : string.Join(GraphMergeRules.Separator, Items);

    /// <summary>
    /// What a job's finalisation asks the model to summarise, given the distinct descriptions the job's own chunks give
    /// this element (null: nothing). LightRAG's thresholds, counted per job so that what earlier documents said does
    /// not make a new one pay:
    /// <list type="bullet">
    /// <item>the job's own chunks give 8 distinct descriptions or more, some not yet covered: the model summarises the
    /// last summary (if any) with the job's uncovered descriptions; what other jobs left listed stays listed after it;</item>
    /// <item>the whole description joined passes 1,200 tokens: the model summarises all of it (this bounds what many
    /// small contributions add up to).</item>
    /// </list>
    /// Neither depends on what other jobs are doing at the time, so two jobs at once end as the same two jobs one after
    /// the other do. LightRAG counts every description the node holds (old ones included), so there a node mentioned a
    /// few times in each of many documents is summarised again and again as the knowledge base grows.
    /// </summary>
    public SummaryPlan? SummaryFor(IReadOnlySet<Guid> ownDescriptions)
    {
        if (Items.Count <= 1)
        {
            return null;
        }
        if (GraphMergeRules.ApproximateTokens(Joined) > GraphMergeRules.SummaryTokenThreshold)
        {
            return new SummaryPlan(Items, Uncovered.Select(d => d.Hash).ToHashSet(), SummaryPlan.Length);
        }
        if (ownDescriptions.Count < GraphMergeRules.SummaryFragmentThreshold)
        {
            return null;
        }
        var uncoveredOwn = Uncovered.Where(d => ownDescriptions.Contains(d.Hash)).ToList();
        List<string> items = [.. Summary is null ? [] : new[] { Summary }, .. uncoveredOwn.Select(d => d.Text).Where(t => t != Summary)];
        return items.Count > 1 ? new SummaryPlan(items, uncoveredOwn.Select(d => d.Hash).ToHashSet(), SummaryPlan.Job) : null;
    }

    /// <summary>The descriptions once <paramref name="summary"/> (of <paramref name="plan"/>'s items) covers the plan's descriptions too.</summary>
    public ElementDescriptions WithSummary(string summary, SummaryPlan plan) =>
        new(summary, [.. Uncovered.Where(d => !plan.Covers.Contains(d.Hash))]);
}

/// <summary>What a finalisation asks the model to summarise, the descriptions (by hash) the summary then covers, and which rule asked.</summary>
public sealed record SummaryPlan(IReadOnlyList<string> Items, IReadOnlySet<Guid> Covers, string Reason)
{
    /// <summary>The job's own chunks gave 8 descriptions or more.</summary>
    public const string Job = "job";

    /// <summary>The whole description passed 1,200 tokens.</summary>
    public const string Length = "length";
}

/// <summary>
/// What a finalisation reads of a node or edge: its working state as merges keep it (counts, sums, the first source
/// chunks, the uncovered descriptions), never the history of its fragments. An edge's <see cref="Type"/> is empty.
/// </summary>
/// <param name="Version">The working state's version (null: there is none).</param>
/// <param name="DescribingKind">Whose descriptions describe it: its own, or (a node nobody described) its edges' (<see cref="GraphDescriptionKinds"/>).</param>
public sealed record ElementState(
    GraphKey Key,
    long? Version,
    bool NeedsReplay,
    bool Exists,
    short DescribingKind,
    string Type,
    IReadOnlyList<string> Keywords,
    double Weight,
    IReadOnlyList<string> SourceChunkIds,
    int DescriptionCount,
    ElementDescriptions Descriptions);

/// <summary>
/// A node or edge as a finalisation publishes it, by LightRAG's merge rules: the most frequent type, the description
/// items (<see cref="ElementDescriptions"/>), the sorted union of keywords, the summed weight and the first source
/// chunk ids in chunk-id order. A function of the element's fragments and of the summaries its jobs asked for, so a
/// deletion can rebuild exactly what a knowledge base without the deleted document holds.
/// </summary>
public sealed record GraphElement(
    GraphKey Key,
    string Type,
    ElementDescriptions Descriptions,
    string[] Keywords,
    double Weight,
    string[] SourceChunkIds,
    int FragmentCount)
{
    public string Description => Descriptions.Joined;

    public IReadOnlyList<string> Items => Descriptions.Items;

    public string? Summary => Descriptions.Summary;

    /// <summary>The description is the summary alone.</summary>
    public bool Summarized => Summary is not null && Items.Count == 1;

    /// <summary>Null when nothing is left of it.</summary>
    public static GraphElement? Compose(ElementState state) =>
        !state.Exists ? null : new GraphElement(state.Key, state.Key.IsEntity ? state.Type : "", state.Descriptions,
            [.. state.Keywords.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], state.Weight,
            [.. state.SourceChunkIds], state.DescriptionCount);

    public GraphElement WithSummary(string summary, SummaryPlan plan) => this with { Descriptions = Descriptions.WithSummary(summary, plan) };

    /// <summary>Everything published of it, as one hash: a finalisation that would publish the same writes nothing.</summary>
    public string ViewHash
    {
        get
        {
            var text = new StringBuilder().Append(Type).Append('\u0001').Append(Description).Append('\u0001').AppendJoin(',', Keywords)
                .Append('\u0001').Append(Weight.ToString("R", CultureInfo.InvariantCulture)).Append('\u0001').AppendJoin(',', SourceChunkIds)
                .Append('\u0001').Append(FragmentCount).Append('\u0001').Append(Summary).Append('\u0001').Append(Summarized);
            return GraphMergeRules.Md5(text.ToString());
        }
    }

    /// <summary>The text LightRAG embeds for it: <c>name\ndescription</c>, or <c>keywords\tsource\ntarget\ndescription</c>.</summary>
    public string VectorText => Key.IsEntity
        ? $"{Key.Source}\n{Description}"
        : $"{string.Join(",", Keywords)}\t{Key.Source}\n{Key.Target}\n{Description}";

    /// <summary>Most frequent type wins, ties to the first in chunk order; UNKNOWN only when nothing better was said.</summary>
    public static string VoteType(IEnumerable<(string Type, int Fragments, string FirstChunkId)> types) =>
        types.Where(t => t.Fragments > 0)
            .OrderByDescending(t => t.Type != GraphMergeRules.UnknownType).ThenByDescending(t => t.Fragments)
            .ThenBy(t => t.FirstChunkId, StringComparer.Ordinal)
            .Select(t => t.Type).FirstOrDefault() ?? GraphMergeRules.UnknownType;
}

/// <summary>
/// A node's or edge's working state recomputed from all its fragments: what a rebuild (after a deletion, a chunk that
/// says something else, or a failed summary) writes back in place of what merges kept, and what it replays the jobs'
/// summaries over. Work in proportion to the element's history, which only a rebuild pays.
/// </summary>
public sealed record ElementAggregates(
    GraphKey Key,
    IReadOnlyList<GraphFragment> Fragments,
    IReadOnlyList<GraphFragment> EndpointFragments)
{
    /// <summary>The fragments the element's description comes from: its own, or (a node nobody described) its edges'.</summary>
    public IReadOnlyList<GraphFragment> Describing => Fragments.Count > 0 || !Key.IsEntity ? Fragments : EndpointFragments;

    public short DescribingKind => Fragments.Count > 0 || !Key.IsEntity ? GraphDescriptionKinds.Own : GraphDescriptionKinds.Endpoint;

    public bool Exists => Fragments.Count > 0 || EndpointFragments.Count > 0;

    /// <summary>Distinct descriptions of <paramref name="fragments"/>, each with its fragment count, by least chunk id.</summary>
    public static IReadOnlyList<(Description Description, int Fragments)> DescriptionsOf(IEnumerable<GraphFragment> fragments) =>
        [.. fragments.GroupBy(f => f.Description, StringComparer.Ordinal)
            .Select(g => (new Description(GraphMergeRules.DescriptionHash(g.Key), g.Key, g.Select(f => f.ChunkId).Min(StringComparer.Ordinal)!), g.Count()))
            .OrderBy(d => d.Item1.FirstChunkId, StringComparer.Ordinal).ThenBy(d => d.Item1.Text, StringComparer.Ordinal)];

    public IReadOnlyList<(string Type, int Fragments, string FirstChunkId)> Types =>
        [.. Fragments.GroupBy(f => f.Type, StringComparer.Ordinal).Select(g => (g.Key, g.Count(), g.Select(f => f.ChunkId).Min(StringComparer.Ordinal)!))];

    public IReadOnlyList<(string Keyword, int Fragments)> KeywordCounts =>
        [.. Fragments.SelectMany(f => f.Keywords.Distinct(StringComparer.Ordinal)).GroupBy(k => k, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))];

    /// <summary>The exact sum the merges keep (numeric in PostgreSQL).</summary>
    public decimal Weight => Fragments.Sum(f => GraphWeights.Exact(f.Weight));

    /// <summary>The element as these fragments make it, with <paramref name="summary"/> covering <paramref name="covered"/>.</summary>
    public ElementState StateWith(string? summary, IReadOnlySet<Guid> covered, long? version) =>
        new(Key, version, NeedsReplay: false, Exists, DescribingKind,
            Fragments.Count > 0 ? GraphElement.VoteType(Types) : GraphMergeRules.UnknownType,
            [.. KeywordCounts.Select(k => k.Keyword)],
            (double)Weight,
            [.. Describing.Select(f => f.ChunkId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(GraphMergeRules.MaxSourceIds)],
            DescriptionsOf(Describing).Count,
            new ElementDescriptions(summary,
                [.. DescriptionsOf(Describing).Select(d => d.Description).Where(d => summary is null || !covered.Contains(d.Hash))]));
}

/// <summary>Edge weights as the merges sum them: exactly, so that adding and removing fragments in any order gives the same sum.</summary>
public static class GraphWeights
{
    /// <summary>
    /// A fragment's weight as the decimal every sum adds (its 15 significant digits, as a float8 prints), so the sum a
    /// merge keeps and the sum a rebuild computes are the same number, whatever order fragments came and went in.
    /// </summary>
    public static decimal Exact(double weight) =>
        decimal.Parse(weight.ToString("G15", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
}
