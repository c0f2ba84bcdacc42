using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Shield.Workers.Extraction;

/// <summary>
/// Reads a model's extraction answer (LightRAG v1.5 format, see <see cref="ExtractionPrompts"/>) into entities and
/// relations. It is as tolerant as LightRAG's <c>_process_extraction_result</c> and more: markdown fences,
/// <c>&lt;think&gt;</c> blocks and chatter are ignored; corrupted delimiters (<c>&lt;|##|&gt;</c>, <c>&lt;|&gt;</c>,
/// <c>&lt;#&gt;</c>, <c>&lt;| # |&gt;</c>, <c>&lt;|complete|&gt;</c>…) are repaired; records run together on one line
/// (separated by the tuple delimiter) are split again; a record broken over several lines is joined; tags are
/// read in any case (<c>entity</c>, <c>Relationship</c>…); the v1.4 format <c>("entity"&lt;|&gt;…)##</c> and the JSON
/// mode are read too. A malformed record is skipped and counted (<see cref="ExtractionResult.SkippedRecords"/>),
/// never the whole answer, and <see cref="Parse"/> never throws.
/// </summary>
public static partial class ExtractionParser
{
    /// <summary>Most distinct records (entities + relations) taken from one answer.</summary>
    public const int MaxRecords = 100;

    /// <summary>Most distinct entities taken from one answer.</summary>
    public const int MaxEntities = 40;

    /// <summary>Entity names (and relation endpoints) are cut to this many characters, as LightRAG does.</summary>
    public const int MaxNameLength = 256;

    private const int MaxSkipReasons = 200;
    private const int MaxFieldsPerRecord = 32;
    private const string Delimiter = ExtractionPrompts.TupleDelimiter;

    // Marks where a completion delimiter stood once the text is split into lines (cannot occur in model output).
    private const string CompletionMark = "\u0000COMPLETE\u0000";

    private static readonly char[] KeywordSeparators = [',', '，', '、', ';', '；'];
    private static readonly char[] InvalidTypeCharacters = ['\'', '(', ')', '<', '>', '|', '/', '\\'];

    private enum Tag { Entity, Relation, ContentKeywords }

    /// <summary>Parses one model answer for the chunk <paramref name="chunkId"/> (named in the skip reasons).</summary>
    public static ExtractionResult Parse(string? modelAnswer, string chunkId)
    {
        var builder = new ResultBuilder(chunkId);
        try
        {
            var text = Normalise(modelAnswer ?? "");
            if (!TryParseJson(text, builder))
            {
                ParseRecords(text, builder);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Defensive only: every step above is meant to be total. What was read so far is kept.
            builder.Skip($"answer could not be read further ({ex.GetType().Name})", "");
        }
        return builder.Build();
    }

    /// <summary>Removes reasoning blocks and code fences, and repairs the delimiters LLMs corrupt.</summary>
    private static string Normalise(string text)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        text = Sanitise(text);
        text = ThinkBlock().Replace(text, "");
        text = OrphanThinkEnd().Replace(text, "");
        text = FenceLine().Replace(text, "");
        text = text.Replace("```", "\n", StringComparison.Ordinal);

        text = CompletionDelimiterVariant().Replace(text, "\n" + CompletionMark + "\n");
        // v1.4 record delimiter: ("entity"<|>...)##("relationship"<|>...)
        text = OldRecordDelimiter().Replace(text, "\n");

        text = CorruptedCoreDelimiter().Replace(text, Delimiter);   // <#>, <|#>, <|##|>, <| # |>, <||#||>, <|#||#|>, <|\#|>
        text = EmptyDelimiter().Replace(text, Delimiter);           // <|>, <||>
        text = DoublePipeDelimiter().Replace(text, Delimiter);      // ||#||
        text = TrailingPipeDelimiter().Replace(text, Delimiter);    // <|#|>|
        text = OneCharacterOffDelimiter().Replace(text, Delimiter); // <X|#|>, <|#|Y>, <X#|>, <|#X>
        text = UnclosedDelimiter().Replace(text, Delimiter);        // <|#|Name
        text = UnopenedDelimiter().Replace(text, Delimiter);        // Name|#|>
        return text;
    }

    private static void ParseRecords(string text, ResultBuilder builder)
    {
        var records = new List<RawRecord>();
        RawRecord? open = null; // the record a following line may still continue

        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0)
            {
                open = null;
                continue;
            }
            if (line == CompletionMark || StandaloneCompletion().IsMatch(line))
            {
                open = null;
                if (records.Count > 0) records[^1].CompletedAfter = true;
                continue;
            }

            var fields = line.Split(Delimiter).ToList();
            var tag = TagOf(fields[0], out var parenthesised);
            if (tag is not null)
            {
                records.Add(new RawRecord(tag.Value, parenthesised, [.. fields]));
                open = SplitRunTogether(records, 1);
                continue;
            }

            if (open is null) continue; // chatter before the records, between blocks or after the completion
            var known = open.Fields.Count;

            if (fields.Count > 1 && fields[0].Trim().Length == 0)
            {
                // The line starts with the delimiter: the break fell between two fields.
                open.Fields.AddRange(fields.Skip(1));
            }
            else if (IsContinuation(open, line, fields.Count > 1))
            {
                var present = open.Fields.Count(f => f.Trim().Length > 0);
                var incoming = fields.Count(f => f.Trim().Length > 0);
                if (open.Fields.Count == 1
                    || (open.Fields[^1].Trim().Length > 0 && present < ExpectedFields(open.Tag) && present + incoming == ExpectedFields(open.Tag)))
                {
                    // Only the tag stood on the previous line, or the line break stands where a delimiter should:
                    // the fields then add up to exactly a full record.
                    open.Fields.AddRange(fields);
                }
                else
                {
                    open.Fields[^1] = open.Fields[^1].TrimEnd() + " " + fields[0].Trim();
                    open.Fields.AddRange(fields.Skip(1));
                }
            }
            else
            {
                open = null; // chatter right after the records
                continue;
            }
            open = SplitRunTogether(records, known);
        }

        for (var i = 0; i < records.Count; i++)
        {
            Interpret(records[i], isLast: i == records.Count - 1, builder);
        }
    }

    /// <summary>
    /// A line without a record tag continues the open record only when it plausibly belongs to it: the record
    /// still lacks fields, or its last field stops mid-sentence (a wrapped description). Headings never continue a
    /// record, so "**Relationships:**" or "Let me know if you need more." after a finished record stay chatter.
    /// </summary>
    private static bool IsContinuation(RawRecord open, string line, bool lineHasDelimiter)
    {
        if (line.TrimEnd('*', ' ').EndsWith(':') || line.StartsWith('#') || line.StartsWith("**", StringComparison.Ordinal))
        {
            return false;
        }
        var present = open.Fields.Count(f => f.Trim().Length > 0);
        if (present < ExpectedFields(open.Tag)) return true;
        if (lineHasDelimiter) return false;
        var last = open.Fields[^1].TrimEnd().TrimEnd('"', '\'', '”', '’', ')');
        return last.Length > 0 && !".!?。！？;".Contains(last[^1]);
    }

    /// <summary>
    /// Splits the last record where a record tag follows a complete record (<c>…description&lt;|#|&gt;entity&lt;|#|&gt;Name…</c>),
    /// and returns the record a next line may continue.
    /// </summary>
    private static RawRecord? SplitRunTogether(List<RawRecord> records, int from)
    {
        var current = records[^1];
        var fields = current.Fields;
        var start = Math.Max(1, from);
        var present = fields.Take(start).Count(f => f.Trim().Length > 0);
        var tag = current.Tag;
        var cuts = new List<(int Index, Tag Tag, bool Parenthesised)>();
        for (var i = start; i < fields.Count; i++)
        {
            var next = TagOf(fields[i], out var parenthesised);
            // "Relation" can be a name: split only after a full record.
            if (next is not null && present >= ExpectedFields(tag))
            {
                cuts.Add((i, next.Value, parenthesised));
                tag = next.Value;
                present = 1;
            }
            else if (fields[i].Trim().Length > 0)
            {
                present++;
            }
        }

        for (var k = 0; k < cuts.Count; k++)
        {
            var end = k + 1 < cuts.Count ? cuts[k + 1].Index : fields.Count;
            records.Add(new RawRecord(cuts[k].Tag, cuts[k].Parenthesised, fields.GetRange(cuts[k].Index, end - cuts[k].Index)));
        }
        if (cuts.Count > 0) fields.RemoveRange(cuts[0].Index, fields.Count - cuts[0].Index);

        // A record far past any valid length is garbage: nothing more is added to it.
        var last = records[^1];
        return last.Fields.Count > MaxFieldsPerRecord ? null : last;
    }

    private static int ExpectedFields(Tag tag) => tag switch
    {
        Tag.Entity => 4,
        Tag.Relation => 5,
        _ => 2,
    };

    private static void Interpret(RawRecord record, bool isLast, ResultBuilder builder)
    {
        if (record.Tag == Tag.ContentKeywords) return; // v1.4's summary row: not an entity or a relation

        var fields = record.Fields.Select(f => f.Trim()).Where(f => f.Length > 0).ToList();
        if (record.Parenthesised && fields.Count > 0 && fields[^1].EndsWith(')'))
        {
            fields[^1] = fields[^1][..^1].TrimEnd();
            if (fields[^1].Length == 0) fields.RemoveAt(fields.Count - 1);
        }
        var preview = Preview(record);

        switch (record.Tag, fields.Count)
        {
            case (Tag.Entity, 4):
                builder.AddEntity(fields[1], fields[2], fields[3], preview);
                return;
            case (Tag.Entity, 5) or (Tag.Relation, 5):
                builder.AddRelation(fields[1], fields[2], fields[3], fields[4], preview);
                return;
            case (Tag.Relation, 6) when IsNumber(fields[5]):
                // v1.4: relationship, source, target, description, keywords, strength (the strength is not kept: weight 1.0 as v1.5)
                builder.AddRelation(fields[1], fields[2], fields[4], fields[3], preview);
                return;
        }

        var expected = ExpectedFields(record.Tag);
        var kind = record.Tag == Tag.Entity ? "entity" : "relation";
        var reason = isLast && !record.CompletedAfter && fields.Count < expected
            ? $"truncated {kind} ({fields.Count} of {expected} fields)"
            : $"{kind} with {fields.Count} fields (expected {expected})";
        builder.Skip(reason, preview);
    }

    /// <summary>LightRAG's optional JSON mode: <c>{"entities":[{name,type,description}],"relationships":[{source,target,keywords,description}]}</c>.</summary>
    private static bool TryParseJson(string text, ResultBuilder builder)
    {
        var trimmed = text.Trim();
        var start = trimmed.IndexOf('{');
        if (start < 0 || !trimmed.Contains("\"entities\"", StringComparison.Ordinal) || trimmed.Contains(Delimiter, StringComparison.Ordinal))
        {
            return false;
        }
        var end = trimmed.LastIndexOf('}');
        if (end <= start) return false;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(trimmed[start..(end + 1)], new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException)
        {
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) return false;
            if (document.RootElement.TryGetProperty("entities", out var entities) && entities.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in entities.EnumerateArray())
                {
                    builder.AddEntity(Text(e, "name", "entity_name"), Text(e, "type", "entity_type"), Text(e, "description", "entity_description"), Preview(e));
                }
            }
            var relations = document.RootElement.TryGetProperty("relationships", out var r) ? r
                : document.RootElement.TryGetProperty("relations", out var r2) ? r2 : default;
            if (relations.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in relations.EnumerateArray())
                {
                    builder.AddRelation(Text(e, "source", "source_entity"), Text(e, "target", "target_entity"),
                        Text(e, "keywords", "relationship_keywords"), Text(e, "description", "relationship_description"), Preview(e));
                }
            }
        }
        return true;

        static string Text(JsonElement element, string name, string alternative)
        {
            if (element.ValueKind != JsonValueKind.Object) return "";
            if (!element.TryGetProperty(name, out var value) && !element.TryGetProperty(alternative, out value)) return "";
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() ?? "",
                JsonValueKind.Array => string.Join(",", value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
                JsonValueKind.Null or JsonValueKind.Undefined => "",
                _ => value.GetRawText(),
            };
        }

        static string Preview(JsonElement element) => Shorten(element.GetRawText());
    }

    private static Tag? TagOf(string field, out bool parenthesised)
    {
        var match = RecordTag().Match(field);
        parenthesised = match.Success && match.Groups["paren"].Success;
        if (!match.Success) return null;
        return match.Groups["tag"].Value.ToLowerInvariant() switch
        {
            "entity" => Tag.Entity,
            "content_keywords" => Tag.ContentKeywords,
            _ => Tag.Relation,
        };
    }

    private static bool IsNumber(string field) =>
        double.TryParse(StripQuotes(field.Trim()), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string Preview(RawRecord record) => Shorten(string.Join(Delimiter, record.Fields.Select(f => f.Trim())));

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";

    // ---- field cleaning (LightRAG's sanitize_and_normalize_extracted_text, and the name/type rules) ----

    internal static string CleanName(string raw)
    {
        var name = WebUtility.HtmlDecode(raw);
        name = HtmlTag().Replace(name, "");
        name = Tidy(name);
        name = StripQuotes(name);
        if (name.Length > MaxNameLength)
        {
            var cut = char.IsHighSurrogate(name[MaxNameLength - 1]) ? MaxNameLength - 1 : MaxNameLength;
            name = name[..cut].TrimEnd();
        }
        return name;
    }

    private static string CleanDescription(string raw)
    {
        var text = WebUtility.HtmlDecode(raw);
        text = ParagraphOrBreakTag().Replace(text, " ");
        return StripQuotes(Tidy(text));
    }

    /// <summary>Control characters (but line breaks and tabs), lone surrogates and non-characters out, as LightRAG's sanitize_text_for_encoding.</summary>
    private static string Sanitise(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (c is '\n' or '\t' || !(char.IsControl(c) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF'))
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    /// <summary>Control characters out, whitespace runs (joined lines included) to one space, trimmed.</summary>
    private static string Tidy(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }
            if (char.IsControl(c) || c is '\uFFFE' or '\uFFFF') continue;
            if (space) builder.Append(' ');
            space = false;
            builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>Surrounding quotes (straight, curly, CJK, backticks, markdown bold) off, repeatedly; a lone unmatched quote at either end too.</summary>
    private static string StripQuotes(string text)
    {
        while (true)
        {
            var before = text;
            text = text.Trim();
            if (text.Length >= 4 && text.StartsWith("**", StringComparison.Ordinal) && text.EndsWith("**", StringComparison.Ordinal))
            {
                text = text[2..^2];
            }
            else if (text.Length >= 2 && IsQuotePair(text[0], text[^1]) && text[1..^1].IndexOfAny([text[0], text[^1]]) < 0)
            {
                text = text[1..^1];
            }
            else if (text.Length >= 1 && text[0] is '"' or '“' or '`' && text.Count(c => c is '"' or '“' or '”' or '`') == 1)
            {
                text = text[1..];
            }
            else if (text.Length >= 1 && text[^1] is '"' or '”' or '`' && text.Count(c => c is '"' or '“' or '”' or '`') == 1)
            {
                text = text[..^1];
            }
            if (text == before) return text;
        }
    }

    private static bool IsQuotePair(char open, char close) => (open, close) is
        ('"', '"') or ('\'', '\'') or ('“', '”') or ('‘', '’') or ('`', '`') or ('《', '》') or ('「', '」');

    // ---- accumulation, merging and caps ----

    private sealed class RawRecord(Tag tag, bool parenthesised, List<string> fields)
    {
        public Tag Tag { get; } = tag;
        public bool Parenthesised { get; } = parenthesised;
        public List<string> Fields { get; } = fields;
        public bool CompletedAfter { get; set; }
    }

    private sealed class ResultBuilder(string chunkId)
    {
        private readonly List<ExtractedEntity> _entities = [];
        private readonly Dictionary<string, int> _entityIndex = new(StringComparer.Ordinal);
        private readonly List<ExtractedRelation> _relations = [];
        private readonly Dictionary<(string, string), int> _relationIndex = [];
        private readonly List<string> _reasons = [];
        private int _skipped;

        public void AddEntity(string rawName, string rawType, string rawDescription, string preview)
        {
            var name = CleanName(rawName);
            if (name.Length == 0)
            {
                Skip("entity with an empty name", preview);
                return;
            }

            var type = StripQuotes(Tidy(WebUtility.HtmlDecode(rawType)));
            var comma = type.IndexOfAny([',', '，']);
            if (comma >= 0) type = type[..comma].Trim(); // "person, organization" -> "person"
            if (type.IndexOfAny(InvalidTypeCharacters) >= 0)
            {
                Skip($"entity '{name}' with an invalid type '{type}'", preview);
                return;
            }
            type = type.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
            if (type.Length == 0)
            {
                Skip($"entity '{name}' with an empty type", preview);
                return;
            }

            var description = CleanDescription(rawDescription);
            if (description.Length == 0)
            {
                Skip($"entity '{name}' with an empty description", preview);
                return;
            }

            var entity = new ExtractedEntity(name, type, description);
            if (_entityIndex.TryGetValue(name, out var index))
            {
                // The same entity twice in one answer: the longer description wins (LightRAG's gleaning rule).
                if (description.Length > _entities[index].Description.Length) _entities[index] = entity;
                return;
            }
            if (_entities.Count >= MaxEntities)
            {
                Skip($"entity '{name}' over the {MaxEntities}-entity cap", preview);
                return;
            }
            if (_entities.Count + _relations.Count >= MaxRecords)
            {
                Skip($"entity '{name}' over the {MaxRecords}-record cap", preview);
                return;
            }
            _entityIndex[name] = _entities.Count;
            _entities.Add(entity);
        }

        public void AddRelation(string rawSource, string rawTarget, string rawKeywords, string rawDescription, string preview)
        {
            var source = CleanName(rawSource);
            var target = CleanName(rawTarget);
            if (source.Length == 0 || target.Length == 0)
            {
                Skip("relation with an empty source or target", preview);
                return;
            }
            if (string.Equals(source, target, StringComparison.Ordinal))
            {
                Skip($"self-relation on '{source}'", preview);
                return;
            }

            var keywords = WebUtility.HtmlDecode(rawKeywords)
                .Split(KeywordSeparators)
                .Select(k => StripQuotes(Tidy(HtmlTag().Replace(k, ""))))
                .Where(k => k.Length > 0)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (keywords.Count == 0)
            {
                Skip($"relation '{source}' - '{target}' without keywords", preview);
                return;
            }

            var description = CleanDescription(rawDescription);
            if (description.Length == 0)
            {
                Skip($"relation '{source}' - '{target}' with an empty description", preview);
                return;
            }

            var relation = new ExtractedRelation(source, target, keywords, description);
            var key = string.CompareOrdinal(source, target) <= 0 ? (source, target) : (target, source);
            if (_relationIndex.TryGetValue(key, out var index))
            {
                if (description.Length > _relations[index].Description.Length) _relations[index] = relation;
                return;
            }
            if (_entities.Count + _relations.Count >= MaxRecords)
            {
                Skip($"relation '{source}' - '{target}' over the {MaxRecords}-record cap", preview);
                return;
            }
            _relationIndex[key] = _relations.Count;
            _relations.Add(relation);
        }

        public void Skip(string reason, string preview)
        {
            _skipped++;
            if (_reasons.Count < MaxSkipReasons)
            {
                _reasons.Add(preview.Length == 0 ? $"{chunkId}: {reason}" : $"{chunkId}: {reason}: {preview}");
            }
        }

        public ExtractionResult Build() => new([.. _entities], [.. _relations], _skipped, [.. _reasons]);
    }

    // ---- patterns ----

    [GeneratedRegex(@"<think>.*?</think>", RegexOptions.Singleline | RegexOptions.IgnoreCase, 1000)]
    private static partial Regex ThinkBlock();

    [GeneratedRegex(@"\A.*?</think>", RegexOptions.Singleline | RegexOptions.IgnoreCase, 1000)]
    private static partial Regex OrphanThinkEnd();

    [GeneratedRegex(@"^[ \t]*```[A-Za-z0-9_+\-]*[ \t]*$", RegexOptions.Multiline, 1000)]
    private static partial Regex FenceLine();

    [GeneratedRegex(@"<[ \t]*\|*[ \t]*complete[ \t]*\|*[ \t]*>|<\|[ \t]*complete[ \t]*\|?(?=[ \t]*(?:\n|\z))|(?<!<)\|[ \t]*complete[ \t]*\|>", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex CompletionDelimiterVariant();

    [GeneratedRegex(@"^[\[(<|]*\s*complete\s*[|>)\]]*\.?$", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex StandaloneCompletion();

    [GeneratedRegex(@"(?<=\))[ \t]*##[ \t]*|[ \t]*##[ \t]*(?=\()", RegexOptions.None, 1000)]
    private static partial Regex OldRecordDelimiter();

    [GeneratedRegex(@"<[ \t]*\|*[ \t]*\\?#(?:[ \t]*\|*[ \t]*#)*[ \t]*\|*[ \t]*>", RegexOptions.None, 1000)]
    private static partial Regex CorruptedCoreDelimiter();

    [GeneratedRegex(@"<[ \t]*\|+[ \t]*>", RegexOptions.None, 1000)]
    private static partial Regex EmptyDelimiter();

    [GeneratedRegex(@"\|\|#\|\|", RegexOptions.None, 1000)]
    private static partial Regex DoublePipeDelimiter();

    [GeneratedRegex(@"<\|#\|>\|", RegexOptions.None, 1000)]
    private static partial Regex TrailingPipeDelimiter();

    [GeneratedRegex(@"<\|#\|(?!>)", RegexOptions.None, 1000)]
    private static partial Regex UnclosedDelimiter();

    [GeneratedRegex(@"(?<!<)\|#\|>", RegexOptions.None, 1000)]
    private static partial Regex UnopenedDelimiter();

    [GeneratedRegex(@"<[^<>|\s]\|#\|>|<\|#\|[^<>|\s]>|<[^<>|\s#]#\|>|<\|#[^<>|\s#]>", RegexOptions.None, 1000)]
    private static partial Regex OneCharacterOffDelimiter();

    [GeneratedRegex(@"^\s*(?:[-*•>]+\s*|\d{1,3}[.)]\s*)?(?<paren>\()?\s*[*""'“‘`]*\s*(?<tag>entity|relationship|relation|content_keywords)\s*[*""'”’`]*\s*:?\s*$", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex RecordTag();

    [GeneratedRegex(@"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>", RegexOptions.None, 1000)]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"</?p\s*/?>|</?br\s*/?>", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex ParagraphOrBreakTag();
}
