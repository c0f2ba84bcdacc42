using System.ComponentModel.DataAnnotations;

namespace Shield.Knowledge.Embeddings;

/// <summary>How texts reach the embedding model (section <c>Shield:Embeddings</c>); LightRAG's defaults where it has one.</summary>
public sealed class EmbeddingOptions
{
    public const string SectionName = "Shield:Embeddings";

    /// <summary>Most texts in one call to the model, however many chunks and consumers they come from (LightRAG: 10).</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Calls to a model server in flight at once in this process (LightRAG: 8). The in-process model runs one at a time.</summary>
    [Range(1, 256)]
    public int MaxConcurrentCalls { get; set; } = 8;

    /// <summary>
    /// A model server's input limit in tokens; longer texts are cut before they are sent (at about four characters a
    /// token). The in-process model cuts exactly, at its own 256 word pieces.
    /// </summary>
    [Range(16, 1_000_000)]
    public int MaxInputTokens { get; set; } = 2048;
}
