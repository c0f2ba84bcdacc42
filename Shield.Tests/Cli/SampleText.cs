using System.Text;

namespace Shield.Tests.Cli;

/// <summary>Deterministic English-like prose of a given length in words, for chunking tests.</summary>
public static class SampleText
{
    private static readonly string[] Words =
    [
        "the", "river", "mountain", "engine", "library", "quietly", "measured", "harbour", "lantern", "season",
        "teacher", "garden", "signal", "village", "copper", "winter", "journey", "market", "letter", "bridge",
        "carried", "opened", "silver", "forest", "window", "morning", "station", "painted", "distant", "careful",
    ];

    public static string Prose(int words, int seed = 7, string? marker = null)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        if (marker is not null) text.Append(marker).Append(". ");
        for (var i = 0; i < words; i++)
        {
            var word = Words[random.Next(Words.Length)];
            var sentenceStart = i % 12 == 0;
            text.Append(sentenceStart ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            text.Append(i % 12 == 11 ? ". " : i % 120 == 119 ? "\n\n" : " ");
        }
        return text.ToString().TrimEnd() + "\n";
    }
}
