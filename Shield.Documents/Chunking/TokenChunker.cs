using Microsoft.ML.Tokenizers;

namespace Shield.Documents.Chunking;

/// <summary>
/// Splits text into token windows exactly as LightRAG's <c>chunker/token_size.py</c> (<c>chunking_by_token_size</c>)
/// does. Without a split character: encode the whole text, take windows of <see cref="ChunkingOptions.ChunkTokenSize"/>
/// tokens starting every size − overlap tokens (so neighbours share <see cref="ChunkingOptions.OverlapTokenSize"/>
/// tokens), decode each window and strip it. As in LightRAG, a window cut inside a multi-byte character decodes it as
/// U+FFFD, and the last window may lie wholly inside the overlap of the one before it.
/// <para>
/// With a split character (<c>split_by_character</c>): the text is cut at every occurrence of it first; a piece of at
/// most the chunk size is one chunk, a longer one is cut into token windows as above. With
/// <c>split_by_character_only</c> a longer piece is an error (<see cref="ChunkTooLargeException"/>), as in LightRAG.
/// </para>
/// <para>
/// This one class cuts for both the <c>shield</c> command-line client and the Api's <c>POST /documents</c>, so a file
/// is cut the same way whichever way it is sent.
/// </para>
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

    /// <summary>Token windows over the whole text (LightRAG without <c>split_by_character</c>).</summary>
    public IReadOnlyList<DocumentChunk> Split(string text) => Split(text, splitByCharacter: null, splitByCharacterOnly: false);

    /// <summary>LightRAG's <c>chunking_by_token_size(tokenizer, content, split_by_character, split_by_character_only)</c>.</summary>
    /// <param name="splitByCharacter">Where to cut first (one or more characters, e.g. <c>"\n\n"</c>); null or empty cuts by tokens only.</param>
    /// <param name="splitByCharacterOnly">Cut only there: a piece over the chunk size is an error instead of being cut further.</param>
    /// <exception cref="ChunkTooLargeException">With <paramref name="splitByCharacterOnly"/>, a piece is longer than the chunk size.</exception>
    public IReadOnlyList<DocumentChunk> Split(string text, string? splitByCharacter, bool splitByCharacterOnly)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chunks = new List<DocumentChunk>();
        var index = 0;
        if (string.IsNullOrEmpty(splitByCharacter))
        {
            AddWindows(_tokenizer.EncodeToIds(text), firstToken: 0, chunks, ref index);
            return chunks;
        }

        // Pieces are numbered as LightRAG numbers them; FirstToken counts from the piece's start in the whole text.
        var offset = 0;
        foreach (var piece in text.Split(splitByCharacter, StringSplitOptions.None))
        {
            var tokens = _tokenizer.EncodeToIds(piece);
            if (tokens.Count <= _options.ChunkTokenSize)
            {
                Add(chunks, index++, piece.Trim(), tokens.Count, offset);
            }
            else if (splitByCharacterOnly)
            {
                throw new ChunkTooLargeException(tokens.Count, _options.ChunkTokenSize, piece.Length <= 120 ? piece : piece[..120]);
            }
            else
            {
                AddWindows(tokens, offset, chunks, ref index);
            }
            offset += tokens.Count + _tokenizer.CountTokens(splitByCharacter);
        }
        return chunks;
    }

    private void AddWindows(IReadOnlyList<int> tokens, int firstToken, List<DocumentChunk> chunks, ref int index)
    {
        var step = _options.ChunkTokenSize - _options.OverlapTokenSize;
        for (var start = 0; start < tokens.Count; start += step, index++)
        {
            var count = Math.Min(_options.ChunkTokenSize, tokens.Count - start);
            Add(chunks, index, _tokenizer.Decode(Window(tokens, start, count)).Trim(), count, firstToken + start);
        }
    }

    private static void Add(List<DocumentChunk> chunks, int index, string content, int tokens, int firstToken)
    {
        // LightRAG keeps a window that is only whitespace as an empty chunk; the Api rejects empty text, and an
        // empty chunk carries nothing, so it is left out (the index still counts it, so indexes match LightRAG's).
        if (content.Length > 0)
        {
            chunks.Add(new DocumentChunk(index, content, tokens, firstToken));
        }
    }

    private static IEnumerable<int> Window(IReadOnlyList<int> tokens, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            yield return tokens[i];
        }
    }
}

/// <summary>
/// A piece cut at the split character is longer than the chunk size while <c>split_by_character_only</c> forbids
/// cutting it further: LightRAG's <c>ChunkTokenLimitExceededError</c>.
/// </summary>
public sealed class ChunkTooLargeException(int tokens, int limit, string preview)
    : Exception($"A piece between split characters has {tokens} tokens, more than the chunk size of {limit}; " +
        $"it begins \"{preview}\". Split it, or allow cutting by tokens (split_by_character_only=false).")
{
    public int Tokens { get; } = tokens;
    public int Limit { get; } = limit;
}
