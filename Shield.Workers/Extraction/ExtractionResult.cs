namespace Shield.Workers.Extraction;

/// <summary>An entity record as LightRAG extracts it: <c>entity&lt;|#|&gt;name&lt;|#|&gt;type&lt;|#|&gt;description</c>.</summary>
public sealed record ExtractedEntity(string Name, string Type, string Description);

/// <summary>A relation record: <c>relation&lt;|#|&gt;source&lt;|#|&gt;target&lt;|#|&gt;keywords&lt;|#|&gt;description</c> (weight 1.0, as LightRAG v1.5).</summary>
public sealed record ExtractedRelation(string Source, string Target, IReadOnlyList<string> Keywords, string Description, double Weight = 1.0);

/// <summary>What one chunk yielded, and how many records had to be skipped (never the whole chunk).</summary>
public sealed record ExtractionResult(
    IReadOnlyList<ExtractedEntity> Entities,
    IReadOnlyList<ExtractedRelation> Relations,
    int SkippedRecords = 0,
    IReadOnlyList<string>? SkipReasons = null)
{
    public static ExtractionResult Empty { get; } = new([], []);
}

/// <summary>Finds entities and relationships in a chunk: a model (live) or the offline development default.</summary>
public interface IEntityExtractor
{
    /// <summary>Human-readable name for logs and health.</summary>
    string Description { get; }

    Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken);
}
