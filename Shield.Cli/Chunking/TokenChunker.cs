using Microsoft.ML.Tokenizers;

namespace Shield.Cli.Chunking;

/// <summary>
/// Splits text into token windows exactly as LightRAG's <c>chunker/token_size.py</c> does without a split character:
/// encode the whole text, take windows of <see cref="ChunkingOptions.ChunkTokenSize"/> tokens starting every
/// size − overlap tokens (so neighbours share <see cref="ChunkingOptions.OverlapTokenSize"/> tokens), decode each
/// window and strip it. As in LightRAG, a window cut inside a multi-byte character decodes it as U+FFFD, and the
/// last window may lie wholly inside the overlap of the one before it.
/// </summary>
public sealed class TokenChunker
{
    private static readonly Lazy<Tokenizer> DefaultTokenizer = new(
        () => TiktokenTokenizer.CreateForModel(ChunkingOptions.LightRagDefaults.TokenizerModel));

    private readonly Tokenizer _tokenizer;
    private readonly ChunkingOptions _options;

    public TokenChunker(ChunkingOptions? options = null)
    {
        _options = options ?? ChunkingOptions.LightRagDefaults;
        _options.Validate();
        _tokenizer = _options.TokenizerModel == ChunkingOptions.LightRagDefaults.TokenizerModel
            ? DefaultTokenizer.Value
            : TiktokenTokenizer.CreateForModel(_options.TokenizerModel);
    }

    public ChunkingOptions Options => _options;

    /// <summary>The tokenizer the chunks are counted with (o200k_base by default).</summary>
    public Tokenizer Tokenizer => _tokenizer;

    public IReadOnlyList<DocumentChunk> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = _tokenizer.EncodeToIds(text);
        var step = _options.ChunkTokenSize - _options.OverlapTokenSize;
        var chunks = new List<DocumentChunk>();
        for (int start = 0, index = 0; start < tokens.Count; start += step, index++)
        {
            var count = Math.Min(_options.ChunkTokenSize, tokens.Count - start);
            var content = _tokenizer.Decode(Window(tokens, start, count)).Trim();
            // LightRAG keeps a window that is only whitespace as an empty chunk; the Api rejects empty text, and an
            // empty chunk carries nothing, so it is left out (the index still counts it, so indexes match LightRAG's).
            if (content.Length > 0)
            {
                chunks.Add(new DocumentChunk(index, content, count, start));
            }
        }
        return chunks;
    }

    private static IEnumerable<int> Window(IReadOnlyList<int> tokens, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            yield return tokens[i];
        }
    }
}
