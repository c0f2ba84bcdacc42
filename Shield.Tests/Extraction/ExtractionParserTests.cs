using Shield.Workers.Extraction;

namespace Shield.Tests.Extraction;

/// <summary>
/// <see cref="ExtractionParser"/> on answers written the way real models write them (qwen2.5, llama3,
/// gpt-4o-mini), clean and broken: every record is accounted for, kept or skipped and counted.
/// </summary>
public sealed class ExtractionParserTests
{
    private static ExtractionResult Parse(string answer) => ExtractionParser.Parse(answer, "chunk-1");

    private static void AssertEntity(ExtractionResult result, string name, string type, string description)
    {
        var entity = Assert.Single(result.Entities, e => e.Name == name);
        Assert.Equal(type, entity.Type);
        Assert.Equal(description, entity.Description);
    }

    private static void AssertRelation(ExtractionResult result, string source, string target, string[] keywords, string description)
    {
        var relation = Assert.Single(result.Relations, r => r.Source == source && r.Target == target);
        Assert.Equal(keywords, relation.Keywords);
        Assert.Equal(description, relation.Description);
        Assert.Equal(1.0, relation.Weight);
    }

    private const string CleanAnswer = """
        entity<|#|>Ada Lovelace<|#|>person<|#|>Ada Lovelace was an English mathematician who wrote the first published algorithm for the Analytical Engine.
        entity<|#|>Charles Babbage<|#|>person<|#|>Charles Babbage was a mathematician and inventor who designed the Analytical Engine.
        entity<|#|>Analytical Engine<|#|>artifact<|#|>The Analytical Engine is a proposed mechanical general-purpose computer designed by Charles Babbage.
        relation<|#|>Ada Lovelace<|#|>Charles Babbage<|#|>collaboration, mathematics<|#|>Ada Lovelace worked with Charles Babbage on notes about the Analytical Engine.
        relation<|#|>Charles Babbage<|#|>Analytical Engine<|#|>invention, design<|#|>Charles Babbage designed the Analytical Engine.
        <|COMPLETE|>
        """;

    private static void AssertCleanAnswer(ExtractionResult result)
    {
        Assert.Equal(["Ada Lovelace", "Charles Babbage", "Analytical Engine"], result.Entities.Select(e => e.Name));
        AssertEntity(result, "Ada Lovelace", "person", "Ada Lovelace was an English mathematician who wrote the first published algorithm for the Analytical Engine.");
        AssertEntity(result, "Analytical Engine", "artifact", "The Analytical Engine is a proposed mechanical general-purpose computer designed by Charles Babbage.");
        Assert.Equal(2, result.Relations.Count);
        AssertRelation(result, "Ada Lovelace", "Charles Babbage", ["collaboration", "mathematics"], "Ada Lovelace worked with Charles Babbage on notes about the Analytical Engine.");
        AssertRelation(result, "Charles Babbage", "Analytical Engine", ["design", "invention"], "Charles Babbage designed the Analytical Engine.");
        Assert.Equal(0, result.SkippedRecords);
        Assert.Empty(result.SkipReasons);
    }

    [Fact]
    public void A_clean_answer_gives_every_entity_and_relation()
    {
        AssertCleanAnswer(Parse(CleanAnswer));
    }

    [Fact]
    public void A_missing_completion_delimiter_is_fine()
    {
        AssertCleanAnswer(Parse(CleanAnswer.Replace("<|COMPLETE|>", "", StringComparison.Ordinal)));
    }

    [Fact]
    public void Markdown_code_fences_are_ignored()
    {
        // gpt-4o-mini often wraps the list in a fenced block.
        var result = Parse("""
            ```text
            entity<|#|>Grace Hopper<|#|>person<|#|>Grace Hopper was a computer scientist who developed the first compiler.
            entity<|#|>Remington Rand<|#|>organization<|#|>Remington Rand is the company where Grace Hopper worked on UNIVAC.
            relation<|#|>Grace Hopper<|#|>Remington Rand<|#|>employment<|#|>Grace Hopper worked at Remington Rand.
            <|COMPLETE|>
            ```
            """);

        Assert.Equal(["Grace Hopper", "Remington Rand"], result.Entities.Select(e => e.Name));
        AssertEntity(result, "Remington Rand", "organization", "Remington Rand is the company where Grace Hopper worked on UNIVAC.");
        AssertRelation(result, "Grace Hopper", "Remington Rand", ["employment"], "Grace Hopper worked at Remington Rand.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void Record_tags_and_types_are_read_in_any_case_but_names_keep_theirs()
    {
        var result = Parse("""
            Entity<|#|>NASA<|#|>Organization<|#|>NASA is the United States space agency.
            ENTITY<|#|>Apollo 11<|#|>EVENT<|#|>Apollo 11 was the first crewed Moon landing.
            entity<|#|>apollo 11<|#|>Event<|#|>The lower-case spelling is kept as a separate name.
            Relationship<|#|>NASA<|#|>Apollo 11<|#|>space exploration<|#|>NASA ran the Apollo 11 mission.
            RELATION<|#|>Apollo 11<|#|>apollo 11<|#|>naming<|#|>Two spellings of one mission.
            <|COMPLETE|>
            """);

        Assert.Equal(["NASA", "Apollo 11", "apollo 11"], result.Entities.Select(e => e.Name));
        Assert.Equal(["organization", "event", "event"], result.Entities.Select(e => e.Type));
        Assert.Equal(2, result.Relations.Count);
        AssertRelation(result, "NASA", "Apollo 11", ["space exploration"], "NASA ran the Apollo 11 mission.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void Quotes_and_stray_whitespace_around_fields_are_removed()
    {
        // llama3 tends to quote every field.
        var result = Parse("""
            entity<|#|> "Tim Berners-Lee" <|#|>"person"<|#|>"Tim Berners-Lee invented the World Wide Web while working at CERN."
            entity<|#|>'CERN'<|#|> "organization" <|#|>“CERN is the European laboratory for particle physics.”
            relation<|#|>"Tim Berners-Lee"<|#|>"CERN"<|#|>"invention, employment"<|#|>"Tim Berners-Lee proposed the web at CERN in 1989."
            <|COMPLETE|>
            """);

        AssertEntity(result, "Tim Berners-Lee", "person", "Tim Berners-Lee invented the World Wide Web while working at CERN.");
        AssertEntity(result, "CERN", "organization", "CERN is the European laboratory for particle physics.");
        AssertRelation(result, "Tim Berners-Lee", "CERN", ["employment", "invention"], "Tim Berners-Lee proposed the web at CERN in 1989.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void A_record_broken_over_lines_is_joined()
    {
        var result = Parse("""
            entity<|#|>Charles Babbage<|#|>person<|#|>Charles Babbage was an English polymath who
            designed the Difference Engine and the Analytical Engine.
            entity<|#|>Difference Engine<|#|>artifact<|#|>The Difference Engine is a mechanical calculator designed by Charles Babbage.
            relation<|#|>Charles Babbage<|#|>Difference Engine
            <|#|>invention, mechanical computing<|#|>Charles Babbage designed the Difference Engine to tabulate polynomial functions.
            relation<|#|>Difference Engine<|#|>Science Museum
            exhibit<|#|>The Science Museum in London built a working Difference Engine in 1991.
            <|COMPLETE|>
            """);

        AssertEntity(result, "Charles Babbage", "person", "Charles Babbage was an English polymath who designed the Difference Engine and the Analytical Engine.");
        AssertEntity(result, "Difference Engine", "artifact", "The Difference Engine is a mechanical calculator designed by Charles Babbage.");
        Assert.Equal(2, result.Relations.Count);
        AssertRelation(result, "Charles Babbage", "Difference Engine", ["invention", "mechanical computing"],
            "Charles Babbage designed the Difference Engine to tabulate polynomial functions.");
        // The line break stood where a delimiter should: the fields add up to exactly one relation.
        AssertRelation(result, "Difference Engine", "Science Museum", ["exhibit"], "The Science Museum in London built a working Difference Engine in 1991.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void Records_run_together_with_the_tuple_delimiter_are_split_again()
    {
        // A small llama3 writes the whole list on one line, separated by the tuple delimiter.
        var result = Parse(
            "entity<|#|>Marie Curie<|#|>person<|#|>Marie Curie was a physicist and chemist who researched radioactivity.<|#|>" +
            "entity<|#|>Pierre Curie<|#|>person<|#|>Pierre Curie was a physicist and Marie Curie's husband.<|#|>" +
            "relation<|#|>Marie Curie<|#|>Pierre Curie<|#|>marriage, research partnership<|#|>Marie Curie and Pierre Curie researched radioactivity together.<|#|>" +
            "<|COMPLETE|>");

        Assert.Equal(["Marie Curie", "Pierre Curie"], result.Entities.Select(e => e.Name));
        AssertEntity(result, "Pierre Curie", "person", "Pierre Curie was a physicist and Marie Curie's husband.");
        AssertRelation(result, "Marie Curie", "Pierre Curie", ["marriage", "research partnership"], "Marie Curie and Pierre Curie researched radioactivity together.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void A_name_that_is_a_record_tag_does_not_split_a_record()
    {
        var result = Parse("""
            entity<|#|>Relation<|#|>concept<|#|>Relation is the database term for a table.<|#|>entity<|#|>Entity<|#|>concept<|#|>Entity is a thing with its own identity.
            """);

        Assert.Equal(["Relation", "Entity"], result.Entities.Select(e => e.Name));
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void Corrupted_delimiters_are_repaired()
    {
        var result = Parse("""
            entity<|##|>Alan Turing<|#|>person<|#|>Alan Turing was a mathematician who formalised computation.
            entity<|>Bletchley Park<|>location<|>Bletchley Park was the codebreaking centre where Alan Turing worked.
            entity<#>Enigma<#>artifact<#>Enigma was the German cipher machine attacked at Bletchley Park.
            relation<| # |>Alan Turing<|#|>Bletchley Park<||#||>codebreaking, employment<|#|>Alan Turing worked at Bletchley Park during the war.
            relation<|#|>Alan Turing<|#>Enigma|#|>cryptanalysis<|#|Alan Turing designed methods to break Enigma.
            <|complete|>
            """);

        Assert.Equal(["Alan Turing", "Bletchley Park", "Enigma"], result.Entities.Select(e => e.Name));
        AssertEntity(result, "Bletchley Park", "location", "Bletchley Park was the codebreaking centre where Alan Turing worked.");
        AssertEntity(result, "Enigma", "artifact", "Enigma was the German cipher machine attacked at Bletchley Park.");
        AssertRelation(result, "Alan Turing", "Bletchley Park", ["codebreaking", "employment"], "Alan Turing worked at Bletchley Park during the war.");
        AssertRelation(result, "Alan Turing", "Enigma", ["cryptanalysis"], "Alan Turing designed methods to break Enigma.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void A_truncated_last_record_is_skipped_and_counted()
    {
        // The model ran out of output tokens in the middle of the last relation.
        var result = Parse("""
            entity<|#|>Linus Torvalds<|#|>person<|#|>Linus Torvalds created the Linux kernel in 1991.
            entity<|#|>Linux Kernel<|#|>artifact<|#|>The Linux kernel is an open-source operating system kernel.
            relation<|#|>Linus Torvalds<|#|>Linux Kernel<|#|>creation, open source<|#|>Linus Torvalds created the Linux kernel.
            relation<|#|>Linux Kernel<|#|>Git<|#|>version con
            """);

        Assert.Equal(2, result.Entities.Count);
        AssertRelation(result, "Linus Torvalds", "Linux Kernel", ["creation", "open source"], "Linus Torvalds created the Linux kernel.");
        Assert.Equal(1, result.SkippedRecords);
        Assert.Contains("truncated relation", Assert.Single(result.SkipReasons), StringComparison.Ordinal);
        Assert.StartsWith("chunk-1: ", result.SkipReasons[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicates_in_one_answer_keep_the_longer_description()
    {
        var result = Parse("""
            entity<|#|>Bell Labs<|#|>organization<|#|>Bell Labs is a research laboratory.
            entity<|#|>Claude Shannon<|#|>person<|#|>Claude Shannon worked at Bell Labs.
            entity<|#|>Bell Labs<|#|>organization<|#|>Bell Labs is the research laboratory where information theory and the transistor were developed.
            entity<|#|>Claude Shannon<|#|>person<|#|>Shannon.
            relation<|#|>Claude Shannon<|#|>Bell Labs<|#|>employment<|#|>Claude Shannon worked at Bell Labs.
            relation<|#|>Bell Labs<|#|>Claude Shannon<|#|>employment, information theory<|#|>Claude Shannon published his theory of communication while working at Bell Labs.
            <|COMPLETE|>
            """);

        Assert.Equal(["Bell Labs", "Claude Shannon"], result.Entities.Select(e => e.Name));
        AssertEntity(result, "Bell Labs", "organization", "Bell Labs is the research laboratory where information theory and the transistor were developed.");
        AssertEntity(result, "Claude Shannon", "person", "Claude Shannon worked at Bell Labs.");
        var relation = Assert.Single(result.Relations);
        Assert.Equal(("Bell Labs", "Claude Shannon"), (relation.Source, relation.Target));
        Assert.Equal(["employment", "information theory"], relation.Keywords);
        Assert.Equal("Claude Shannon published his theory of communication while working at Bell Labs.", relation.Description);
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void A_five_field_row_tagged_entity_is_read_as_a_relation()
    {
        var result = Parse("""
            entity<|#|>Nikola Tesla<|#|>person<|#|>Nikola Tesla was an inventor known for alternating current systems.
            entity<|#|>Westinghouse Electric<|#|>organization<|#|>Westinghouse Electric licensed Tesla's AC patents.
            entity<|#|>Nikola Tesla<|#|>Westinghouse Electric<|#|>patent licensing, alternating current<|#|>Nikola Tesla licensed his alternating current patents to Westinghouse Electric.
            <|COMPLETE|>
            """);

        Assert.Equal(2, result.Entities.Count);
        AssertRelation(result, "Nikola Tesla", "Westinghouse Electric", ["alternating current", "patent licensing"],
            "Nikola Tesla licensed his alternating current patents to Westinghouse Electric.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void A_self_relation_is_dropped_and_counted()
    {
        var result = Parse("""
            entity<|#|>OpenAI<|#|>organization<|#|>OpenAI is an AI research company.
            entity<|#|>GPT-4<|#|>artifact<|#|>GPT-4 is a large language model released by OpenAI.
            relation<|#|>OpenAI<|#|>OpenAI<|#|>self reference<|#|>OpenAI is OpenAI.
            relation<|#|>OpenAI<|#|>GPT-4<|#|>development<|#|>OpenAI developed GPT-4.
            <|COMPLETE|>
            """);

        Assert.Equal(2, result.Entities.Count);
        AssertRelation(result, "OpenAI", "GPT-4", ["development"], "OpenAI developed GPT-4.");
        Assert.Equal(1, result.SkippedRecords);
        Assert.Contains("self-relation on 'OpenAI'", result.SkipReasons[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Chatter_before_and_after_the_records_is_ignored()
    {
        var result = Parse("""
            Here are the entities and relationships extracted from the text:

            **Entities:**
            entity<|#|>Toyota<|#|>organization<|#|>Toyota is a Japanese car manufacturer.
            entity<|#|>Prius<|#|>artifact<|#|>The Prius is a hybrid car made by Toyota
            **Relationships:**
            relation<|#|>Toyota<|#|>Prius<|#|>manufacturing<|#|>Toyota makes the Prius.
            Let me know if you need anything else.

            <|COMPLETE|>

            I hope this helps!
            """);

        Assert.Equal(["Toyota", "Prius"], result.Entities.Select(e => e.Name));
        AssertEntity(result, "Prius", "artifact", "The Prius is a hybrid car made by Toyota");
        AssertRelation(result, "Toyota", "Prius", ["manufacturing"], "Toyota makes the Prius.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void Records_with_empty_fields_are_skipped_and_counted()
    {
        var result = Parse("""
            entity<|#|>Bell Labs<|#|><|#|>Bell Labs is a research laboratory.
            entity<|#|>""<|#|>person<|#|>Someone without a name.
            entity<|#|>Transistor<|#|>artifact<|#|>""
            entity<|#|>William Shockley<|#|>person<|#|>William Shockley co-invented the transistor.
            relation<|#|>William Shockley<|#|>Transistor<|#|> <|#|>William Shockley co-invented the transistor.
            relation<|#|>William Shockley<|#|>Bell Labs<|#|>""<|#|>Shockley worked at Bell Labs.
            <|COMPLETE|>
            """);

        AssertEntity(result, "William Shockley", "person", "William Shockley co-invented the transistor.");
        Assert.Single(result.Entities);
        Assert.Empty(result.Relations);
        Assert.Equal(5, result.SkippedRecords);
        Assert.Equal(5, result.SkipReasons.Count);
    }

    [Fact]
    public void Html_is_removed_from_names_and_entities_are_decoded()
    {
        var result = Parse("""
            entity<|#|><b>Ada Lovelace</b><|#|>person<|#|>Ada Lovelace<br>was a mathematician.
            entity<|#|>AT&amp;T<|#|>organization<|#|><p>AT&amp;T is a telecommunications company.</p>
            relation<|#|><i>Ada Lovelace</i><|#|>AT&amp;T<|#|>none<|#|>An invented pair to check the endpoints.
            <|COMPLETE|>
            """);

        AssertEntity(result, "Ada Lovelace", "person", "Ada Lovelace was a mathematician.");
        AssertEntity(result, "AT&T", "organization", "AT&T is a telecommunications company.");
        AssertRelation(result, "Ada Lovelace", "AT&T", ["none"], "An invented pair to check the endpoints.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void Chinese_commas_separate_keywords()
    {
        // qwen2.5 answering in Chinese.
        var result = Parse("""
            entity<|#|>阿里巴巴<|#|>organization<|#|>阿里巴巴是一家中国科技公司。
            entity<|#|>杭州<|#|>location<|#|>杭州是阿里巴巴总部所在的城市。
            relation<|#|>阿里巴巴<|#|>杭州<|#|>总部，所在地, 总部<|#|>阿里巴巴的总部位于杭州。
            <|COMPLETE|>
            """);

        Assert.Equal(["阿里巴巴", "杭州"], result.Entities.Select(e => e.Name));
        AssertRelation(result, "阿里巴巴", "杭州", ["总部", "所在地"], "阿里巴巴的总部位于杭州。");
    }

    [Fact]
    public void The_older_parenthesised_format_is_read()
    {
        // LightRAG v1.4: ("entity"<|>...) records separated by ##, relations with description before keywords and a strength.
        var result = Parse("""
            ("entity"<|>"Ada Lovelace"<|>"person"<|>"Ada Lovelace was a mathematician.")##
            ("entity"<|>"Charles Babbage"<|>"person"<|>"Charles Babbage designed the Analytical Engine (a mechanical computer).")##
            ("relationship"<|>"Ada Lovelace"<|>"Charles Babbage"<|>"Ada Lovelace collaborated with Charles Babbage."<|>"collaboration, computing"<|>8)##
            ("content_keywords"<|>"computing history, mathematics")<|COMPLETE|>
            """);

        AssertEntity(result, "Ada Lovelace", "person", "Ada Lovelace was a mathematician.");
        AssertEntity(result, "Charles Babbage", "person", "Charles Babbage designed the Analytical Engine (a mechanical computer).");
        AssertRelation(result, "Ada Lovelace", "Charles Babbage", ["collaboration", "computing"], "Ada Lovelace collaborated with Charles Babbage.");
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public void Types_follow_LightRAG_rules()
    {
        var result = Parse("""
            entity<|#|>Voyager 1<|#|>Spacecraft<|#|>Voyager 1 is a space probe; unknown types are kept, lower-cased.
            entity<|#|>Jupiter<|#|>Natural Object<|#|>Jupiter is the largest planet.
            entity<|#|>JPL<|#|>organization, location<|#|>JPL is a laboratory that operates Voyager 1.
            entity<|#|>Carl Sagan<|#|>person/scientist<|#|>Carl Sagan worked on the Voyager program.
            entity<|#|>Golden Record<|#|>artifact (disc)<|#|>The Golden Record is a disc carried by Voyager 1.
            <|COMPLETE|>
            """);

        Assert.Equal(["Voyager 1", "Jupiter", "JPL"], result.Entities.Select(e => e.Name));
        Assert.Equal(["spacecraft", "naturalobject", "organization"], result.Entities.Select(e => e.Type));
        Assert.Equal(2, result.SkippedRecords);
        Assert.All(result.SkipReasons, r => Assert.Contains("invalid type", r, StringComparison.Ordinal));
    }

    [Fact]
    public void Per_answer_caps_keep_the_first_40_entities_and_100_records()
    {
        var lines = Enumerable.Range(1, 45).Select(i => $"entity<|#|>Entity {i}<|#|>concept<|#|>Entity {i} is a test entity.")
            .Concat(Enumerable.Range(1, 70).Select(i => $"relation<|#|>Entity {i % 40 + 1}<|#|>Other {i}<|#|>test<|#|>Relation {i}."));
        var result = Parse(string.Join('\n', lines) + "\n<|COMPLETE|>");

        Assert.Equal(40, result.Entities.Count);
        Assert.Equal("Entity 40", result.Entities[^1].Name);
        Assert.Equal(60, result.Relations.Count);
        Assert.Equal(15, result.SkippedRecords);
    }

    [Fact]
    public void Names_are_cut_to_256_characters()
    {
        var longName = new string('N', 300);
        var result = Parse($"entity<|#|>{longName}<|#|>concept<|#|>A very long name.\nrelation<|#|>{longName}<|#|>Other<|#|>test<|#|>A long endpoint.");

        Assert.Equal(256, Assert.Single(result.Entities).Name.Length);
        Assert.Equal(256, Assert.Single(result.Relations).Source.Length);
    }

    [Fact]
    public void Reasoning_blocks_are_ignored()
    {
        var result = Parse("""
            <think>
            The text mentions Ada. entity<|#|>Draft<|#|>concept<|#|>This is only the model thinking.
            </think>
            entity<|#|>Ada Lovelace<|#|>person<|#|>Ada Lovelace was a mathematician.
            <|COMPLETE|>
            """);

        Assert.Equal("Ada Lovelace", Assert.Single(result.Entities).Name);
    }

    [Fact]
    public void The_json_mode_is_read()
    {
        var result = Parse("""
            ```json
            {"entities": [{"name": "Ada Lovelace", "type": "Person", "description": "Ada Lovelace was a mathematician."},
                          {"name": "Charles Babbage", "type": "person", "description": ""}],
             "relationships": [{"source": "Ada Lovelace", "target": "Charles Babbage", "keywords": ["collaboration", "computing"],
                                "description": "Ada Lovelace worked with Charles Babbage."}]}
            ```
            """);

        AssertEntity(result, "Ada Lovelace", "person", "Ada Lovelace was a mathematician.");
        AssertRelation(result, "Ada Lovelace", "Charles Babbage", ["collaboration", "computing"], "Ada Lovelace worked with Charles Babbage.");
        Assert.Equal(1, result.SkippedRecords);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n\n  ")]
    [InlineData("<|COMPLETE|>")]
    [InlineData("<|#|><|#|><|#|>")]
    [InlineData("entity")]
    [InlineData("relation<|#|>")]
    [InlineData("entity<|#|>\"<|#|>'<|#|>\"")]
    [InlineData("((((((((\"entity\"<|><|><|>))))))##)##(")]
    [InlineData("I'm sorry, but I can't help with that.")]
    [InlineData("{\"entities\": [1, \"x\", null, {\"name\": 5}], \"relationships\": {}}")]
    [InlineData("{\"entities\": [")]
    [InlineData("<think>unclosed entity<|#|>A<|#|>b<|#|>c")]
    public void Any_input_is_read_without_throwing(string? answer)
    {
        var result = ExtractionParser.Parse(answer, "chunk-1");

        Assert.NotNull(result.Entities);
        Assert.NotNull(result.Relations);
        Assert.Equal(result.SkippedRecords, result.SkipReasons.Count);
    }

    [Fact]
    public void Control_characters_and_lone_surrogates_do_not_break_the_parser()
    {
        var result = ExtractionParser.Parse("\u0000\uFFFF\uD800 entity<|#|>Ada\u0007 Lovelace<|#|>person<|#|>A\uD800 mathematician.", "chunk-1");

        Assert.Equal("Ada Lovelace", Assert.Single(result.Entities).Name);
    }

    [Fact]
    public void A_large_broken_answer_is_read_whole()
    {
        // Shapes that make a careless parser backtrack or rescan. How fast they are read is not asserted here (a timed
        // assertion fails on a busy machine, not on a slow parser); that they are read, and read right, is.
        var junk = string.Concat(Enumerable.Repeat("entity<|#|<|##||<#>|>< | # | \"\"''(( relation ", 5_000));

        var broken = ExtractionParser.Parse(junk + "\n" + junk.Replace(' ', '\n'), "chunk-1");
        var split = ExtractionParser.Parse("entity<|#|>A" + string.Concat(Enumerable.Repeat("\n<|#|>x", 50_000)), "chunk-1");
        var runTogether = ExtractionParser.Parse("entity" + string.Concat(Enumerable.Repeat("<|#|>a<|#|>b<|#|>c<|#|>entity", 20_000)), "chunk-1");
        var relations = ExtractionParser.Parse(string.Concat(Enumerable.Repeat("relation<|#|>a<|#|>b\nc\n", 30_000)), "chunk-1");

        Assert.Empty(broken.Entities);
        Assert.True(broken.SkippedRecords > 0);
        Assert.NotNull(split.Entities);
        Assert.Single(runTogether.Entities); // "a" 20,000 times: duplicates merge into one entity
        Assert.Empty(relations.Relations); // four fields are not a relation
    }
}
