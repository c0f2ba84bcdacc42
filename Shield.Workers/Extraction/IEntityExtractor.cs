namespace Shield.Workers.Extraction;

/// <summary>Finds entities and relationships in a chunk: a chat model (<see cref="LlmEntityExtractor"/>) or the offline development default (<see cref="OfflineEntityExtractor"/>).</summary>
public interface IEntityExtractor
{
    /// <summary>Human-readable name for logs and health.</summary>
    string Description { get; }

    /// <summary>
    /// Everything that decides what this extractor answers for a text (model, prompt version, gleaning, entity types,
    /// language): a chunk already stored under the same settings is not extracted again, and changing one makes
    /// every chunk count as new.
    /// </summary>
    string Settings { get; }

    Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken);
}
