namespace Shield.Workers.Extraction;

/// <summary>An entity record as LightRAG extracts it: <c>entity&lt;|#|&gt;name&lt;|#|&gt;type&lt;|#|&gt;description</c>.</summary>
public sealed record ExtractedEntity(string Name, string Type, string Description);

/// <summary>
/// A relation record: <c>relation&lt;|#|&gt;source&lt;|#|&gt;target&lt;|#|&gt;keywords&lt;|#|&gt;description</c>. LightRAG v1.5
/// has no strength field, so the weight is 1.0; relations are undirected (keyed by the sorted pair).
/// </summary>
public sealed record ExtractedRelation(string Source, string Target, IReadOnlyList<string> Keywords, string Description, double Weight = 1.0);

/// <summary>
/// What one chunk yielded, and how many records had to be skipped (a malformed record is skipped, never the whole
/// chunk). <see cref="SkipReasons"/> says why, one line per skipped record.
/// </summary>
public sealed record ExtractionResult(
    IReadOnlyList<ExtractedEntity> Entities,
    IReadOnlyList<ExtractedRelation> Relations,
    int SkippedRecords = 0,
    IReadOnlyList<string>? SkipReasons = null)
{
    public static ExtractionResult Empty { get; } = new([], []);

    /// <summary>Why each skipped record was skipped (empty when nothing was).</summary>
    public IReadOnlyList<string> SkipReasons { get; init; } = SkipReasons ?? [];
}
