using System.Text.Json;
using Shield.Workers.Extraction;

namespace Shield.Tests.Extraction;

public sealed class OfflineEntityExtractorTests
{
    private const string Text =
        "Ada Lovelace worked with Charles Babbage on the Analytical Engine. " +
        "Dr. Grace Hopper joined Remington Rand Inc. in 1949 and later taught at Harvard University. " +
        "The Royal Society honoured Babbage in London.";

    private static Task<ExtractionResult> ExtractAsync(string text) =>
        new OfflineEntityExtractor().ExtractAsync("chunk-1", text, CancellationToken.None);

    [Fact]
    public async Task People_organisations_places_and_things_are_found_and_typed()
    {
        var result = await ExtractAsync(Text);

        Assert.Equal(
        [
            ("Ada Lovelace", "person"), ("Charles Babbage", "person"), ("Analytical Engine", "artifact"), ("Grace Hopper", "person"),
            ("Remington Rand Inc", "organization"), ("Harvard University", "organization"), ("Royal Society", "organization"),
            ("London", "location"),
        ], result.Entities.Select(e => (e.Name, e.Type)));
        Assert.Equal("Ada Lovelace worked with Charles Babbage on the Analytical Engine.", result.Entities[0].Description);
        Assert.Equal("Dr. Grace Hopper joined Remington Rand Inc. in 1949 and later taught at Harvard University.", result.Entities[3].Description);
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public async Task Two_entities_in_one_sentence_are_related_with_the_sentence_as_description()
    {
        var result = await ExtractAsync(Text);

        var relation = Assert.Single(result.Relations, r => r.Source == "Ada Lovelace" && r.Target == "Charles Babbage");
        Assert.Equal("Ada Lovelace worked with Charles Babbage on the Analytical Engine.", relation.Description);
        Assert.Equal(["worked"], relation.Keywords);
        Assert.Equal(1.0, relation.Weight);

        // "Babbage" after "Charles Babbage" is the same person.
        var honoured = Assert.Single(result.Relations, r => r.Source == "Royal Society" && r.Target == "Charles Babbage");
        Assert.Equal("The Royal Society honoured Babbage in London.", honoured.Description);
        Assert.Equal(["honoured"], honoured.Keywords);

        var joined = Assert.Single(result.Relations, r => r.Source == "Grace Hopper" && r.Target == "Remington Rand Inc");
        Assert.Equal(["joined", "taught"], joined.Keywords);

        Assert.Equal(9, result.Relations.Count); // three pairs in each sentence
        Assert.DoesNotContain(result.Relations, r => r.Source == "Ada Lovelace" && r.Target == "Grace Hopper");
    }

    [Fact]
    public async Task The_same_text_gives_the_same_result()
    {
        var first = JsonSerializer.Serialize(await ExtractAsync(Text));
        var second = JsonSerializer.Serialize(await new OfflineEntityExtractor().ExtractAsync("other-chunk", Text, CancellationToken.None));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Lists_and_sentence_openers_do_not_glue_names_together()
    {
        var result = await ExtractAsync(
            "In Paris, Marie Curie and Pierre Curie met Henri Becquerel, Gabriel Lippmann and Jean Perrin. Researchers admired them.");

        Assert.Equal(
        [
            ("Paris", "location"), ("Marie Curie", "person"), ("Pierre Curie", "person"), ("Henri Becquerel", "concept"),
            ("Gabriel Lippmann", "concept"), ("Jean Perrin", "person"),
        ], result.Entities.Select(e => (e.Name, e.Type)));
    }

    [Fact]
    public async Task Connectors_join_a_name_and_place_cues_type_it()
    {
        var result = await ExtractAsync("She studied at the University of Cambridge and later lived in Kensington. Ludwig van Beethoven visited Bonn.");

        Assert.Contains(result.Entities, e => e is { Name: "University of Cambridge", Type: "organization" });
        Assert.Contains(result.Entities, e => e is { Name: "Kensington", Type: "location" });
        Assert.Contains(result.Entities, e => e is { Name: "Ludwig van Beethoven", Type: "concept" });
        Assert.Contains(result.Entities, e => e.Name == "Bonn");
    }

    [Fact]
    public async Task The_embedded_pipeline_document_keeps_its_people_and_organisations()
    {
        // The chunks the end-to-end pipeline test sends, with its letters-only suffix on each name's last word.
        const string tag = "qzx";
        var chunks = new[]
        {
            $"Ada Lovelace{tag} worked with Charles Babbage{tag} on the Analytical Engine{tag}.",
            $"In 1843 Ada Lovelace{tag} published notes describing an algorithm for the machine.",
            $"Charles Babbage{tag} lectured at the University of Turin{tag} about the engine.",
            $"The Royal Society{tag} later honoured Charles Babbage{tag} for his work.",
        };

        var results = await Task.WhenAll(chunks.Select(ExtractAsync));

        Assert.All(new[] { results[0], results[2], results[3] }, r => Assert.Contains(r.Entities, e => e is { Name: $"Charles Babbage{tag}", Type: "person" }));
        Assert.Contains(results[1].Entities, e => e is { Name: $"Ada Lovelace{tag}", Type: "person" });
        Assert.Contains(results[2].Entities, e => e is { Name: $"University of Turin{tag}", Type: "organization" });
        Assert.Contains(results[0].Relations, r => r.Source == $"Ada Lovelace{tag}" && r.Target == $"Charles Babbage{tag}");
    }

    [Fact]
    public async Task Empty_text_gives_nothing()
    {
        var result = await ExtractAsync("   ");

        Assert.Empty(result.Entities);
        Assert.Empty(result.Relations);
    }
}
