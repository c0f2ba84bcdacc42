namespace Shield.Workers.Extraction;

/// <summary>Finds entities and relationships in a chunk: a chat model (<see cref="LlmEntityExtractor"/>) or the offline development default (<see cref="OfflineEntityExtractor"/>).</summary>
public interface IEntityExtractor
{
    /// <summary>Human-readable name for logs and health.</summary>
    string Description { get; }

    Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken);
}
