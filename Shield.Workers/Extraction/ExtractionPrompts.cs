namespace Shield.Workers.Extraction;

/// <summary>
/// LightRAG v1.5's extraction conversation, in C#: a system prompt (instructions, few-shot examples, the entity
/// types), a user prompt carrying the chunk, and the "continue extraction" (gleaning) prompt that is sent after
/// the first answer is replayed as history. The answer format is one record per line, fields separated by
/// <see cref="TupleDelimiter"/>, entities first, then relations, then <see cref="CompletionDelimiter"/>:
/// <code>
/// entity&lt;|#|&gt;name&lt;|#|&gt;type&lt;|#|&gt;description
/// relation&lt;|#|&gt;source&lt;|#|&gt;target&lt;|#|&gt;keywords&lt;|#|&gt;description
/// &lt;|COMPLETE|&gt;
/// </code>
/// The texts follow LightRAG's structure and rules; the wording and the examples are Shield's own.
/// </summary>
public static class ExtractionPrompts
{
    /// <summary>Separates the fields of a record.</summary>
    /// <summary>Changes whenever a prompt's wording changes: part of a chunk's extraction settings.</summary>
    public const string PromptVersion = "lightrag-1.5.3";

    public const string TupleDelimiter = "<|#|>";

    /// <summary>The model's last line once every record is out.</summary>
    public const string CompletionDelimiter = "<|COMPLETE|>";

    /// <summary>The output language when none is configured.</summary>
    public const string DefaultLanguage = "English";

    /// <summary>LightRAG's default entity types; anything else is to be classified <c>Other</c>.</summary>
    public static IReadOnlyList<string> DefaultEntityTypes { get; } =
    [
        "Person", "Creature", "Organization", "Location", "Event", "Concept", "Method", "Content", "Data", "Artifact", "NaturalObject",
    ];

    /// <summary>The system prompt template: <c>{entity_types}</c>, <c>{tuple_delimiter}</c>, <c>{completion_delimiter}</c>, <c>{language}</c> and <c>{examples}</c>.</summary>
    public const string SystemPromptTemplate = """
        ---Role---
        You are a Knowledge Graph Specialist. You read a text and extract the entities it mentions and the relationships between them.

        ---Instructions---
        1.  **Entities:**
            *   **Identification:** Find every clearly defined, meaningful entity in the input text.
            *   **Fields:** For each entity, write:
                *   `entity_name`: the entity's name. When the name is not case-sensitive, write each significant word with a capital first letter (title case). Use the **same name** every time the entity comes up.
                *   `entity_type`: one of these types: `{entity_types}`. When none applies, do not invent a new type: use `Other`.
                *   `entity_description`: a concise but complete description of the entity's attributes and activities, using *only* what the input text says.
            *   **Format:** 4 fields on one line, separated by `{tuple_delimiter}`. The first field is the literal word `entity`.
                *   `entity{tuple_delimiter}entity_name{tuple_delimiter}entity_type{tuple_delimiter}entity_description`

        2.  **Relationships:**
            *   **Identification:** Find direct, clearly stated, meaningful relationships between the entities extracted above.
            *   **More than two entities:** When one statement links three or more entities, split it into binary (two-entity) relationships, each described on its own.
                *   **Example:** "Ines, Omar and Wei wrote the Falcon report" gives "Ines wrote the Falcon Report", "Omar wrote the Falcon Report" and "Wei wrote the Falcon Report", or "Ines worked with Omar", whichever binary reading is most reasonable.
            *   **Fields:** For each binary relationship, write:
                *   `source_entity`: the source entity's name, exactly as in the entity list (title case when the name is not case-sensitive).
                *   `target_entity`: the target entity's name, exactly as in the entity list (title case when the name is not case-sensitive).
                *   `relationship_keywords`: one or more high-level keywords for the nature, concepts or themes of the relationship, separated by commas `,`. **Never separate keywords with `{tuple_delimiter}`.**
                *   `relationship_description`: a concise explanation of how the source and target are connected.
            *   **Format:** 5 fields on one line, separated by `{tuple_delimiter}`. The first field is the literal word `relation`.
                *   `relation{tuple_delimiter}source_entity{tuple_delimiter}target_entity{tuple_delimiter}relationship_keywords{tuple_delimiter}relationship_description`

        3.  **Delimiters:**
            *   `{tuple_delimiter}` is one indivisible marker that only separates fields; **never put anything inside it**.
            *   **Wrong:** `entity{tuple_delimiter}Lisbon<|location|>Lisbon is the capital of Portugal.`
            *   **Right:** `entity{tuple_delimiter}Lisbon{tuple_delimiter}location{tuple_delimiter}Lisbon is the capital of Portugal.`

        4.  **Direction and duplicates:**
            *   Relationships are **undirected** unless the text says otherwise: swapping source and target is the same relationship.
            *   Do not output the same relationship twice.

        5.  **Order:**
            *   All entities first, then all relationships.
            *   Put the relationships that matter most to the meaning of the text first.

        6.  **Objectivity:**
            *   Write names and descriptions in the **third person**.
            *   Name the subject or object explicitly; **no pronouns** such as `this article`, `this paper`, `our company`, `I`, `you`, `he/she`.

        7.  **Language:**
            *   Write the whole output (names, keywords, descriptions) in `{language}`.
            *   Keep proper nouns (people, places, organisations) in their original language when no widely accepted translation exists or a translation would be ambiguous.

        8.  **Completion:** Write `{completion_delimiter}` once, after every entity and relationship has been output.

        ---Examples---
        {examples}

        ---Real Data to be Processed---
        <Input>
        Entity_types: [{entity_types}]
        """;

    /// <summary>The user prompt template: <c>{input_text}</c>, <c>{completion_delimiter}</c> and <c>{language}</c>.</summary>
    public const string UserPromptTemplate = """
        ---Task---
        Extract the entities and relationships from the input text below.

        ---Input Text---
        Text:
        ```
        {input_text}
        ```

        ---Instructions---
        1.  **Format:** Follow every format rule of the system prompt: output order, field delimiters, proper nouns.
        2.  **Records only:** Output only the list of entities and relationships, with no introduction, explanation or closing remarks.
        3.  **Completion:** Write `{completion_delimiter}` on the last line, after all entities and relationships.
        4.  **Language:** Write the output in {language}. Keep proper nouns (people, places, organisations) in their original language.

        <Output>
        """;

    /// <summary>The gleaning prompt, sent after the first answer: <c>{tuple_delimiter}</c>, <c>{completion_delimiter}</c> and <c>{language}</c>.</summary>
    public const string ContinueExtractionPromptTemplate = """
        ---Task---
        Look at the previous extraction again and output the entities and relationships from the input text that were **missed or badly formatted**.

        ---Instructions---
        1.  **Format:** Follow every format rule of the system prompt: output order, field delimiters, proper nouns.
        2.  **Corrections and additions only:**
            *   **Do not** repeat entities or relationships that were already extracted correctly and completely.
            *   Output every entity or relationship that was **missed**, in the system format.
            *   Output again, *corrected and complete*, every entity or relationship that was **cut off, missing fields, or otherwise badly formatted**.
        3.  **Entities:** 4 fields on one line, separated by `{tuple_delimiter}`; the first field is the literal word `entity`.
        4.  **Relationships:** 5 fields on one line, separated by `{tuple_delimiter}`; the first field is the literal word `relation`.
        5.  **Records only:** Output only the list of entities and relationships, with no introduction, explanation or closing remarks.
        6.  **Completion:** Write `{completion_delimiter}` on the last line, after all missed or corrected entities and relationships.
        7.  **Language:** Write the output in {language}. Keep proper nouns (people, places, organisations) in their original language.

        <Output>
        """;

    /// <summary>Few-shot examples in the answer format, with <c>{tuple_delimiter}</c> and <c>{completion_delimiter}</c> placeholders.</summary>
    public static IReadOnlyList<string> ExampleTemplates { get; } =
    [
        """
        <Input Text>
        ```
        Dr. Mirela Costa joined the Helix Biotech Institute in Porto in 2019, where she leads the team that built GeneSight, a rapid assay for inherited heart conditions. Costa's team validated GeneSight in a two-year trial with Porto General Hospital. Her former supervisor, Henrik Dahl, called the assay "the most practical screening tool of the decade."
        ```

        <Output>
        entity{tuple_delimiter}Mirela Costa{tuple_delimiter}person{tuple_delimiter}Mirela Costa is a doctor who joined the Helix Biotech Institute in 2019 and leads the team that built the GeneSight assay.
        entity{tuple_delimiter}Helix Biotech Institute{tuple_delimiter}organization{tuple_delimiter}The Helix Biotech Institute is a research institute in Porto where Mirela Costa's team developed GeneSight.
        entity{tuple_delimiter}Porto{tuple_delimiter}location{tuple_delimiter}Porto is the city where the Helix Biotech Institute and Porto General Hospital are located.
        entity{tuple_delimiter}GeneSight{tuple_delimiter}artifact{tuple_delimiter}GeneSight is a rapid assay for inherited heart conditions, validated in a two-year trial.
        entity{tuple_delimiter}Porto General Hospital{tuple_delimiter}organization{tuple_delimiter}Porto General Hospital took part in the two-year trial that validated GeneSight.
        entity{tuple_delimiter}GeneSight Validation Trial{tuple_delimiter}event{tuple_delimiter}The GeneSight Validation Trial was a two-year trial, run with Porto General Hospital, that validated the GeneSight assay.
        entity{tuple_delimiter}Henrik Dahl{tuple_delimiter}person{tuple_delimiter}Henrik Dahl is Mirela Costa's former supervisor, who called GeneSight the most practical screening tool of the decade.
        relation{tuple_delimiter}Mirela Costa{tuple_delimiter}GeneSight{tuple_delimiter}invention, team leadership{tuple_delimiter}Mirela Costa leads the team that built the GeneSight assay.
        relation{tuple_delimiter}Mirela Costa{tuple_delimiter}Helix Biotech Institute{tuple_delimiter}employment, research{tuple_delimiter}Mirela Costa joined the Helix Biotech Institute in 2019.
        relation{tuple_delimiter}GeneSight{tuple_delimiter}GeneSight Validation Trial{tuple_delimiter}clinical validation{tuple_delimiter}GeneSight was validated in the GeneSight Validation Trial.
        relation{tuple_delimiter}Porto General Hospital{tuple_delimiter}GeneSight Validation Trial{tuple_delimiter}trial partner, collaboration{tuple_delimiter}Porto General Hospital ran the two-year validation trial with Mirela Costa's team.
        relation{tuple_delimiter}Helix Biotech Institute{tuple_delimiter}Porto{tuple_delimiter}location{tuple_delimiter}The Helix Biotech Institute is in Porto.
        relation{tuple_delimiter}Henrik Dahl{tuple_delimiter}Mirela Costa{tuple_delimiter}mentorship{tuple_delimiter}Henrik Dahl was Mirela Costa's supervisor.
        relation{tuple_delimiter}Henrik Dahl{tuple_delimiter}GeneSight{tuple_delimiter}endorsement, assessment{tuple_delimiter}Henrik Dahl praised GeneSight as the most practical screening tool of the decade.
        {completion_delimiter}

        """,
        """
        <Input Text>
        ```
        After a week of heavy rain, the Danube burst its banks at Passau, and about four thousand residents were moved to emergency shelters. Volunteers of the Bavarian Red Cross ran the shelters, while the city's flood barrier, completed in 2016, kept the old town dry.
        ```

        <Output>
        entity{tuple_delimiter}Danube{tuple_delimiter}naturalobject{tuple_delimiter}The Danube is a river that burst its banks at Passau after a week of heavy rain.
        entity{tuple_delimiter}Passau{tuple_delimiter}location{tuple_delimiter}Passau is a city on the Danube whose residents were evacuated during the flood; its old town stayed dry.
        entity{tuple_delimiter}Passau Flood{tuple_delimiter}event{tuple_delimiter}The Passau Flood followed a week of heavy rain and moved about four thousand residents to emergency shelters.
        entity{tuple_delimiter}Bavarian Red Cross{tuple_delimiter}organization{tuple_delimiter}The Bavarian Red Cross is an aid organisation whose volunteers ran the emergency shelters.
        entity{tuple_delimiter}Passau Flood Barrier{tuple_delimiter}artifact{tuple_delimiter}The Passau Flood Barrier, completed in 2016, kept the old town of Passau dry.
        entity{tuple_delimiter}Evacuated Residents{tuple_delimiter}data{tuple_delimiter}About four thousand residents were moved to emergency shelters.
        relation{tuple_delimiter}Danube{tuple_delimiter}Passau Flood{tuple_delimiter}river flooding, natural hazard{tuple_delimiter}The Danube bursting its banks caused the Passau Flood.
        relation{tuple_delimiter}Passau Flood{tuple_delimiter}Passau{tuple_delimiter}disaster impact, evacuation{tuple_delimiter}The Passau Flood forced residents of Passau into emergency shelters.
        relation{tuple_delimiter}Bavarian Red Cross{tuple_delimiter}Passau Flood{tuple_delimiter}emergency response, shelter{tuple_delimiter}Bavarian Red Cross volunteers ran the shelters during the Passau Flood.
        relation{tuple_delimiter}Passau Flood Barrier{tuple_delimiter}Passau{tuple_delimiter}flood protection, infrastructure{tuple_delimiter}The Passau Flood Barrier protected the old town of Passau.
        relation{tuple_delimiter}Evacuated Residents{tuple_delimiter}Passau Flood{tuple_delimiter}displacement{tuple_delimiter}About four thousand residents were evacuated because of the Passau Flood.
        {completion_delimiter}

        """,
        """
        <Input Text>
        ```
        Northwind Traders reported revenue of 4.2 billion euros in its 2023 annual report.
        ```

        <Output>
        entity{tuple_delimiter}Northwind Traders{tuple_delimiter}organization{tuple_delimiter}Northwind Traders is a company that reported revenue of 4.2 billion euros for 2023.
        entity{tuple_delimiter}2023 Annual Report{tuple_delimiter}content{tuple_delimiter}The 2023 Annual Report of Northwind Traders states the company's revenue.
        entity{tuple_delimiter}4.2 Billion Euros Revenue{tuple_delimiter}data{tuple_delimiter}Northwind Traders' revenue in 2023 was 4.2 billion euros.
        relation{tuple_delimiter}Northwind Traders{tuple_delimiter}2023 Annual Report{tuple_delimiter}corporate reporting{tuple_delimiter}Northwind Traders published the 2023 Annual Report.
        relation{tuple_delimiter}Northwind Traders{tuple_delimiter}4.2 Billion Euros Revenue{tuple_delimiter}financial performance{tuple_delimiter}Northwind Traders earned revenue of 4.2 billion euros in 2023.
        {completion_delimiter}

        """,
    ];

    /// <summary>The system prompt with the entity types, delimiters, language and examples filled in.</summary>
    public static string SystemPrompt(IReadOnlyList<string>? entityTypes = null, string? language = null)
    {
        var examples = string.Join("\n", ExampleTemplates.Select(e => Fill(e, entityTypes, language)));
        return Fill(SystemPromptTemplate, entityTypes, language).Replace("{examples}", examples, StringComparison.Ordinal);
    }

    /// <summary>The user prompt carrying the chunk's text.</summary>
    public static string UserPrompt(string inputText, string? language = null) =>
        Fill(UserPromptTemplate, null, language).Replace("{input_text}", inputText, StringComparison.Ordinal);

    /// <summary>The "continue extraction" prompt for a gleaning pass.</summary>
    public static string ContinueExtractionPrompt(string? language = null) => Fill(ContinueExtractionPromptTemplate, null, language);

    /// <summary>LightRAG joins the types with ", ".</summary>
    public static string FormatEntityTypes(IReadOnlyList<string>? entityTypes) =>
        string.Join(", ", entityTypes is { Count: > 0 } ? entityTypes : DefaultEntityTypes);

    // {input_text} and {examples} are filled last so that text from a document is never read as a placeholder.
    private static string Fill(string template, IReadOnlyList<string>? entityTypes, string? language) => template
        .Replace("{entity_types}", FormatEntityTypes(entityTypes), StringComparison.Ordinal)
        .Replace("{tuple_delimiter}", TupleDelimiter, StringComparison.Ordinal)
        .Replace("{completion_delimiter}", CompletionDelimiter, StringComparison.Ordinal)
        .Replace("{language}", string.IsNullOrWhiteSpace(language) ? DefaultLanguage : language, StringComparison.Ordinal);
}
