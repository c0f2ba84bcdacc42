using Shield.Documents.Chunking;
using Shield.Tests.Cli;

namespace Shield.Tests.Documents;

/// <summary>LightRAG's <c>split_by_character</c> and <c>split_by_character_only</c> modes of <c>chunking_by_token_size</c>.</summary>
public sealed class SplitByCharacterTests
{
    private readonly TokenChunker _chunker = new();

    private int Count(string text) => _chunker.Tokenizer.CountTokens(text);

    [Fact]
    public void Pieces_that_fit_are_one_chunk_each_stripped_and_numbered_in_order()
    {
        const string text = "First part about lighthouses.\n\n  Second part, indented.  \n\n\n\nFourth part after an empty one.";

        var chunks = _chunker.Split(text, "\n\n", splitByCharacterOnly: false);

        // "".split gives an empty piece between the two separators: it is counted (index 2) but carries nothing.
        Assert.Equal([0, 1, 3], chunks.Select(c => c.Index));
        Assert.Equal(["First part about lighthouses.", "Second part, indented.", "Fourth part after an empty one."], chunks.Select(c => c.Content));
        Assert.Equal(Count("  Second part, indented.  "), chunks[1].Tokens);
    }

    [Fact]
    public void A_piece_over_the_chunk_size_is_cut_into_token_windows_and_the_next_pieces_follow()
    {
        var longPiece = SampleText.Prose(2000, seed: 5);
        var tokens = Count(longPiece);
        Assert.InRange(tokens, 1201, 3300);

        var chunks = _chunker.Split("Opening line.|" + longPiece + "|Closing line.", "|", splitByCharacterOnly: false);

        var windows = (tokens + 1099) / 1100;
        Assert.Equal(windows + 2, chunks.Count);
        Assert.Equal("Opening line.", chunks[0].Content);
        Assert.Equal(1200, chunks[1].Tokens);
        Assert.All(chunks.Skip(1).Take(windows), c => Assert.InRange(Count(c.Content), 1, 1200));
        Assert.Equal("Closing line.", chunks[^1].Content);
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
    }

    [Fact]
    public void Split_only_refuses_a_piece_over_the_chunk_size_as_LightRAG_does()
    {
        var longPiece = SampleText.Prose(2000, seed: 6);

        var refused = Assert.Throws<ChunkTooLargeException>(() => _chunker.Split("Short.§" + longPiece, "§", splitByCharacterOnly: true));

        Assert.Equal(Count(longPiece), refused.Tokens);
        Assert.Equal(1200, refused.Limit);
        Assert.Equal(["Short.", "Another short one."], _chunker.Split("Short.\nAnother short one.", "\n", splitByCharacterOnly: true).Select(c => c.Content));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void No_split_character_cuts_by_tokens_alone(string? separator)
    {
        var text = SampleText.Prose(3000, seed: 8);

        Assert.Equal(_chunker.Split(text), _chunker.Split(text, separator, splitByCharacterOnly: true));
    }
}
