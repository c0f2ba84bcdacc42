using System.Collections.Concurrent;
using Microsoft.ML.Tokenizers;
using Shield.Workers.Extraction;
using Shield.Workers.Graph;

namespace Shield.Bench.Documents;

/// <summary>
/// Every extraction answer the Workers got, per chunk, and what LightRAG would have paid for the same answers. LightRAG
/// (v1.5, see <c>/work/shared/notes/lightrag-contract.md</c>) extracts each chunk with one call plus its gleaning
/// passes, merges each entity and relation once per document and asks the model for a summary where the merged element
/// has 8 descriptions or more or its joined descriptions pass 1,200 tokens; it embeds every chunk and every entity and
/// relation the document touched once. Relation endpoints are entities too (LightRAG creates the missing ones).
/// </summary>
public sealed class ExtractionLedger(Tokenizer tokenizer)
{
    private const int SummaryFragments = 8;
    private const int SummaryTokens = 1200;

    private readonly ConcurrentDictionary<string, ExtractionResult> _byChunk = new();
    private long _calls;

    /// <summary>Extractor calls (the embedded extractor is no model; these are its invocations).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    public void Record(string chunkId, ExtractionResult result)
    {
        Interlocked.Increment(ref _calls);
        _byChunk[chunkId] = result;
    }

    /// <summary>How many of <paramref name="chunks"/> the extractor found <paramref name="name"/> in (as an entity or a relation's end).</summary>
    public int ChunksNaming(IEnumerable<string> chunks, string name) =>
        chunks.Count(c => _byChunk.TryGetValue(c, out var r)
            && (r.Entities.Any(e => e.Name == name) || r.Relations.Any(x => x.Source == name || x.Target == name)));

    /// <summary>
    /// LightRAG's cost of ingesting the chunks <paramref name="document"/> into a knowledge base that already holds
    /// <paramref name="before"/> (chunk ids whose answers are recorded): calls and embedded texts.
    /// </summary>
    public LightRagCost CostOf(IReadOnlyCollection<string> document, IReadOnlyCollection<string> before, int gleaning)
    {
        var known = Fragments(before);
        var added = Fragments(document);
        var summaries = 0;
        foreach (var (key, fragments) in added)
        {
            // An element LightRAG summarised before holds one description (its summary), to which the new ones are added.
            var all = known.TryGetValue(key, out var old)
                ? [.. (NeedsSummary(old) ? ["(summary)"] : old).Union(fragments)]
                : fragments;
            if (NeedsSummary(all)) summaries++;
        }
        var entities = added.Keys.Count(k => k.Target is null);
        var relations = added.Count - entities;
        return new LightRagCost(document.Count * (1 + gleaning) + summaries, summaries, document.Count + entities + relations, entities, relations);
    }

    private bool NeedsSummary(IReadOnlyCollection<string> fragments) =>
        fragments.Count > 1 && (fragments.Count >= SummaryFragments || tokenizer.CountTokens(string.Join("<SEP>", fragments)) > SummaryTokens);

    /// <summary>Distinct descriptions per entity name and per sorted relation pair, over the given chunks' answers.</summary>
    private Dictionary<(string Source, string? Target), HashSet<string>> Fragments(IEnumerable<string> chunks)
    {
        var fragments = new Dictionary<(string, string?), HashSet<string>>();
        void Add((string, string?) key, string? description)
        {
            if (!fragments.TryGetValue(key, out var set)) fragments[key] = set = new HashSet<string>(StringComparer.Ordinal);
            if (!string.IsNullOrEmpty(description)) set.Add(description);
        }
        foreach (var chunk in chunks)
        {
            if (!_byChunk.TryGetValue(chunk, out var result)) continue;
            foreach (var entity in result.Entities) Add((entity.Name, null), entity.Description);
            foreach (var relation in result.Relations)
            {
                var (a, b) = GraphMergeRules.SortedPair(relation.Source, relation.Target);
                Add((a, b), relation.Description);
                Add((relation.Source, null), null);
                Add((relation.Target, null), null);
            }
        }
        return fragments;
    }
}

/// <summary>What LightRAG would pay: model calls (extraction, gleaning and summaries) and texts embedded.</summary>
public sealed record LightRagCost(int Calls, int Summaries, int Texts, int Entities, int Relations);

/// <summary>The Workers' extractor, its answers written to the ledger.</summary>
public sealed class LedgerExtractor(IEntityExtractor inner, ExtractionLedger ledger) : IEntityExtractor
{
    public string Description => inner.Description;

    public string Settings => inner.Settings;

    public async Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken)
    {
        var result = await inner.ExtractAsync(chunkId, text, cancellationToken);
        ledger.Record(chunkId, result);
        return result;
    }
}

/// <summary>The Workers' summariser, counted (for the embedded back-end, which has no model server to count).</summary>
public sealed class CountedSummarizer(IDescriptionSummarizer inner) : IDescriptionSummarizer
{
    private long _calls;

    public long Calls => Interlocked.Read(ref _calls);

    public string Description => inner.Description;

    public Task<string> SummarizeAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return inner.SummarizeAsync(subject, fragments, cancellationToken);
    }
}
