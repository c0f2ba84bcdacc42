using Shield.Workers.Extraction;

namespace Shield.Tests.Extraction;

public sealed class ExtractionMergerTests
{
    private static ExtractedRelation Relation(string source, string target, string description, params string[] keywords) =>
        new(source, target, keywords, description);

    [Fact]
    public void Gleaning_adds_what_the_first_pass_missed_after_what_it_found()
    {
        var first = new ExtractionResult([new("Ada Lovelace", "person", "Ada Lovelace was a mathematician.")],
            [Relation("Ada Lovelace", "Charles Babbage", "They worked together.", "collaboration")]);
        var second = new ExtractionResult([new("Analytical Engine", "artifact", "A mechanical computer.")],
            [Relation("Charles Babbage", "Analytical Engine", "Babbage designed it.", "design")]);

        var merged = ExtractionMerger.MergeGleaning(first, second);

        Assert.Equal(["Ada Lovelace", "Analytical Engine"], merged.Entities.Select(e => e.Name));
        Assert.Equal(["Ada Lovelace", "Charles Babbage"], merged.Relations.Select(r => r.Source));
    }

    [Fact]
    public void The_same_entity_keeps_the_longer_description_and_its_place()
    {
        var first = new ExtractionResult(
            [new("Ada Lovelace", "person", "A mathematician."), new("Charles Babbage", "person", "Charles Babbage designed the Analytical Engine.")], []);
        var second = new ExtractionResult(
            [new("Charles Babbage", "person", "An inventor."), new("Ada Lovelace", "person", "Ada Lovelace wrote the first published algorithm.")], []);

        var merged = ExtractionMerger.MergeGleaning(first, second);

        Assert.Equal(
            [new ExtractedEntity("Ada Lovelace", "person", "Ada Lovelace wrote the first published algorithm."),
             new ExtractedEntity("Charles Babbage", "person", "Charles Babbage designed the Analytical Engine.")],
            merged.Entities);
    }

    [Fact]
    public void Names_are_not_case_folded()
    {
        var merged = ExtractionMerger.MergeGleaning(
            new ExtractionResult([new("IBM", "organization", "IBM is a company.")], []),
            new ExtractionResult([new("Ibm", "organization", "Ibm is the same company, spelled differently.")], []));

        Assert.Equal(["IBM", "Ibm"], merged.Entities.Select(e => e.Name));
    }

    [Fact]
    public void The_same_undirected_pair_keeps_the_longer_description()
    {
        var first = new ExtractionResult([], [Relation("Ada Lovelace", "Charles Babbage", "Colleagues.", "collaboration")]);
        var second = new ExtractionResult([], [Relation("Charles Babbage", "Ada Lovelace", "Charles Babbage and Ada Lovelace corresponded about the engine.", "correspondence")]);

        var merged = ExtractionMerger.MergeGleaning(first, second);

        var relation = Assert.Single(merged.Relations);
        Assert.Equal(("Charles Babbage", "Ada Lovelace"), (relation.Source, relation.Target));
        Assert.Equal(["correspondence"], relation.Keywords);
        Assert.Equal("Charles Babbage and Ada Lovelace corresponded about the engine.", relation.Description);
    }

    [Fact]
    public void A_tie_keeps_the_first_pass()
    {
        var merged = ExtractionMerger.MergeGleaning(
            new ExtractionResult([new("Ada", "person", "same length")], [Relation("A", "B", "first", "x")]),
            new ExtractionResult([new("Ada", "concept", "SAME LENGTH")], [Relation("B", "A", "secnd", "y")]));

        Assert.Equal("person", Assert.Single(merged.Entities).Type);
        Assert.Equal("first", Assert.Single(merged.Relations).Description);
    }

    [Fact]
    public void Skipped_records_add_up()
    {
        var merged = ExtractionMerger.MergeGleaning(
            new ExtractionResult([], [], 2, ["a", "b"]),
            new ExtractionResult([], [], 1, ["c"]));

        Assert.Equal(3, merged.SkippedRecords);
        Assert.Equal(["a", "b", "c"], merged.SkipReasons);
    }

    [Fact]
    public void Parsed_passes_merge_end_to_end()
    {
        var first = ExtractionParser.Parse("""
            entity<|#|>Ada Lovelace<|#|>person<|#|>A mathematician.
            relation<|#|>Ada Lovelace<|#|>Charles Babbage<|#|>collaboration<|#|>They worked together.
            <|COMPLETE|>
            """, "c");
        var gleaned = ExtractionParser.Parse("""
            entity<|#|>Ada Lovelace<|#|>person<|#|>Ada Lovelace wrote notes on the Analytical Engine.
            entity<|#|>Charles Babbage<|#|>person<|#|>Charles Babbage designed the Analytical Engine.
            relation<|#|>Charles Babbage<|#|>Ada Lovelace<|#|>collaboration, correspondence<|#|>Ada Lovelace translated and annotated a paper on Babbage's engine.
            <|COMPLETE|>
            """, "c");

        var merged = ExtractionMerger.MergeGleaning(first, gleaned);

        Assert.Equal(["Ada Lovelace", "Charles Babbage"], merged.Entities.Select(e => e.Name));
        Assert.Equal("Ada Lovelace wrote notes on the Analytical Engine.", merged.Entities[0].Description);
        Assert.Equal(["collaboration", "correspondence"], Assert.Single(merged.Relations).Keywords);
    }
}
