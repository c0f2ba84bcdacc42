using Shield.Knowledge;

namespace Shield.Tests.Knowledge;

/// <summary>
/// The in-process all-MiniLM-L6-v2: texts are run in groups of similar length and padded within a group, so what a
/// text is embedded with must never change its vector, and the vectors must come back in the order of the texts.
/// </summary>
public sealed class MiniLmEmbeddingGeneratorTests : IDisposable
{
    private readonly MiniLmEmbeddingGenerator _model = new();

    private static readonly string[] Texts =
    [
        "Ada Lovelace",
        "Ada Lovelace wrote the first program for the Analytical Engine.",
        "Charles Babbage designed the Analytical Engine, a mechanical general-purpose computer, in London.",
        "The harbour council of Port Wendel met in spring. " + string.Concat(Enumerable.Repeat("The ledgers were read aloud and the tide tables checked. ", 6)),
        "Grain prices rose by four percent in 1843, and the markets talked of little else.",
        string.Concat(Enumerable.Repeat("A very long report on the coastal railway, its stations and its timetables. ", 40)),
    ];

    private async Task<float[]> AloneAsync(string text) => (await _model.GenerateAsync([text])).Single().Vector.ToArray();

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [Fact]
    public async Task A_text_has_the_same_vector_alone_as_among_texts_of_other_lengths_and_comes_back_in_its_place()
    {
        // Every text several times, in an order unlike their lengths, so runs mix texts of different lengths.
        var mixed = Enumerable.Range(0, 5).SelectMany(i => Texts.Select((t, j) => (Text: t, Index: j, Order: (i * 7 + j * 3) % 11)))
            .OrderBy(x => x.Order).ThenBy(x => x.Index).ToList();

        var together = await _model.GenerateAsync(mixed.Select(x => x.Text));

        Assert.Equal(mixed.Count, together.Count);
        var alone = new Dictionary<int, float[]>();
        foreach (var (text, index, _) in mixed.DistinctBy(x => x.Index)) alone[index] = await AloneAsync(text);
        for (var i = 0; i < mixed.Count; i++)
        {
            var vector = together[i].Vector.ToArray();
            Assert.Equal(MiniLmEmbeddingGenerator.Dimensions, vector.Length);
            Assert.True(Cosine(vector, alone[mixed[i].Index]) > 0.9999, $"text {mixed[i].Index} at {i} differs from its vector alone");
        }
    }

    [Fact]
    public async Task Vectors_are_unit_length_and_a_paraphrase_is_nearer_than_an_unrelated_sentence()
    {
        var program = await AloneAsync("Ada Lovelace wrote the first computer program.");
        var paraphrase = await AloneAsync("The first program for a computer was written by Ada Lovelace.");
        var unrelated = await AloneAsync("Grain prices rose by four percent, and the markets talked of little else.");

        Assert.Equal(1.0, Cosine(program, program), 4);
        Assert.True(Cosine(program, paraphrase) > Cosine(program, unrelated) + 0.3,
            $"paraphrase {Cosine(program, paraphrase):F3}, unrelated {Cosine(program, unrelated):F3}");
    }

    [Fact]
    public async Task A_text_past_the_input_limit_is_cut_at_it()
    {
        var longText = Texts[^1];
        var longer = longText + " Nothing after the limit counts: Ada Lovelace, Charles Babbage, grain prices.";

        Assert.True(Cosine(await AloneAsync(longText), await AloneAsync(longer)) > 0.9999);
    }

    public void Dispose() => _model.Dispose();
}
