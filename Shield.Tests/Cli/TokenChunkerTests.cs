using Shield.Cli.Files;
using Shield.Documents.Chunking;

namespace Shield.Tests.Cli;

/// <summary>The CLI's chunker against LightRAG's rules: o200k_base tokens, 1,200-token windows, 100 tokens shared by neighbours.</summary>
public sealed class TokenChunkerTests
{
    private readonly TokenChunker _chunker = new();

    private int Count(string text) => _chunker.Tokenizer.CountTokens(text);

    [Fact]
    public void Defaults_are_LightRAGs()
    {
        Assert.Equal(1200, _chunker.Options.ChunkTokenSize);
        Assert.Equal(100, _chunker.Options.OverlapTokenSize);
        // o200k_base, the encoding of gpt-4o-mini: "Hello world" is two tokens, 13225 and 2375.
        Assert.Equal([13225, 2375], _chunker.Tokenizer.EncodeToIds("Hello world"));
    }

    [Fact]
    public void Long_document_is_cut_into_windows_of_at_most_1200_tokens()
    {
        var text = SampleText.Prose(6000);
        var total = Count(text);
        Assert.InRange(total, 5000, 8000);

        var chunks = _chunker.Split(text);

        // LightRAG: range(0, total, 1200 - 100), one window per start.
        Assert.Equal((total + 1099) / 1100, chunks.Count);
        Assert.All(chunks, c => Assert.InRange(Count(c.Content), 1, 1200));
        Assert.All(chunks, c => Assert.Equal(Math.Min(1200, total - c.Index * 1100), c.Tokens));
        Assert.Equal(1200, chunks[0].Tokens);
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        // Nothing is lost: every word of the document is in some chunk, in order.
        Assert.StartsWith(chunks[0].Content, text);
        Assert.EndsWith(chunks[^1].Content, text.TrimEnd());
    }

    [Fact]
    public void Neighbouring_chunks_share_100_tokens_of_text()
    {
        var text = SampleText.Prose(4000, seed: 11);
        var chunks = _chunker.Split(text);
        Assert.True(chunks.Count >= 3);

        for (var i = 0; i + 1 < chunks.Count; i++)
        {
            var overlap = LongestSuffixThatPrefixes(chunks[i].Content, chunks[i + 1].Content);
            // The last window can be shorter than the overlap; then all of it is the previous chunk's end.
            Assert.Equal(Math.Min(100, Count(chunks[i + 1].Content)), Count(overlap));
        }
    }

    [Fact]
    public void Text_just_over_one_window_ends_with_a_chunk_inside_the_overlap_as_in_LightRAG()
    {
        var text = SampleText.Prose(1400, seed: 2);
        var tokens = _chunker.Tokenizer.EncodeToIds(text);
        text = _chunker.Tokenizer.Decode(tokens.Take(1150));

        var chunks = _chunker.Split(text);

        // range(0, 1150, 1100) = [0, 1100]: the second window is tokens 1100–1149, already the first chunk's end.
        Assert.Equal([1150, 50], chunks.Select(c => c.Tokens));
        Assert.EndsWith(chunks[1].Content, chunks[0].Content);
    }

    [Fact]
    public void Short_document_is_one_chunk_holding_the_whole_text()
    {
        const string text = "  Ada Lovelace wrote the first program for Charles Babbage's Analytical Engine.\n\n";

        var chunk = Assert.Single(_chunker.Split(text));

        Assert.Equal(text.Trim(), chunk.Content);
        Assert.Equal(Count(text), chunk.Tokens);
        Assert.Equal(0, chunk.Index);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t\n  ")]
    public void Empty_or_blank_text_gives_no_chunks(string text) => Assert.Empty(_chunker.Split(text));

    [Fact]
    public void Chunking_is_deterministic()
    {
        var text = SampleText.Prose(3000, seed: 3);

        var first = _chunker.Split(text);
        var second = new TokenChunker().Split(text);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Empty_binary_and_non_UTF8_files_are_skipped_with_a_reason()
    {
        Assert.Equal("empty", DocumentFiles.Classify([], out _));
        Assert.Equal("empty", DocumentFiles.Classify("\n  \n"u8, out _));
        Assert.Equal("binary file", DocumentFiles.Classify([0x89, 0x50, 0x4E, 0x47, 0x00, 0x01], out _));
        Assert.Equal("not UTF-8 text (binary?)", DocumentFiles.Classify([0x66, 0xE9, 0x74, 0xE9], out _)); // Latin-1 "fété"
        Assert.Null(DocumentFiles.Classify("\uFEFFcafé ☕"u8.ToArray(), out var text));
        Assert.Equal("café ☕", text);
    }

    private static string LongestSuffixThatPrefixes(string previous, string next)
    {
        for (var length = Math.Min(previous.Length, next.Length); length > 0; length--)
        {
            if (next.StartsWith(previous[^length..], StringComparison.Ordinal)) return previous[^length..];
        }
        return "";
    }
}
