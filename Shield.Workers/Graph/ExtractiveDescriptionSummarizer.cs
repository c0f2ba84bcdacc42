namespace Shield.Workers.Graph;

/// <summary>
/// Development default when no chat model is configured: keeps the longest distinct fragments (dropping any that
/// another fragment already contains) up to LightRAG's ~600-token summary size. Deterministic, offline, and
/// honest about being a selection rather than a written summary.
/// </summary>
public sealed class ExtractiveDescriptionSummarizer : IDescriptionSummarizer
{
    private const int TargetTokens = 600;

    public string Description => "extractive (embedded development default: longest distinct fragments, no model)";

    public Task<string> SummarizeAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken)
    {
        var distinct = fragments
            .Select(f => f.Trim())
            .Where(f => f.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var kept = new List<string>();
        var tokens = 0;
        foreach (var fragment in distinct.OrderByDescending(f => f.Length).ThenBy(f => f, StringComparer.Ordinal))
        {
            if (kept.Any(k => k.Contains(fragment, StringComparison.OrdinalIgnoreCase))) continue;
            var cost = GraphMergeRules.ApproximateTokens(fragment);
            if (kept.Count > 0 && tokens + cost > TargetTokens) break;
            kept.Add(fragment);
            tokens += cost;
        }
        // Back in the order the fragments arrived, so the text reads in the order it was learned.
        return Task.FromResult(string.Join(" ", distinct.Where(kept.Contains)));
    }
}
