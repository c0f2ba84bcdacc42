namespace Shield.Documents.Chunking;

/// <summary>
/// LightRAG's token chunking defaults (<c>chunk_token_size</c> 1200, <c>chunk_overlap_token_size</c> 100) and its
/// tokenizer: tiktoken for <c>gpt-4o-mini</c>, which is the o200k_base encoding.
/// </summary>
public sealed record ChunkingOptions
{
    public int ChunkTokenSize { get; init; } = 1200;
    public int OverlapTokenSize { get; init; } = 100;

    /// <summary>The tiktoken model whose encoding counts the tokens.</summary>
    public string TokenizerModel { get; init; } = "gpt-4o-mini";

    public static ChunkingOptions LightRagDefaults { get; } = new();

    public void Validate()
    {
        if (ChunkTokenSize <= 0) throw new ArgumentOutOfRangeException(nameof(ChunkTokenSize), ChunkTokenSize, "must be positive");
        if (OverlapTokenSize < 0 || OverlapTokenSize >= ChunkTokenSize)
        {
            throw new ArgumentOutOfRangeException(nameof(OverlapTokenSize), OverlapTokenSize, "must be at least 0 and less than the chunk size");
        }
    }
}
