using System.Text.RegularExpressions;

namespace Shield.Workers.Extraction;

/// <summary>
/// The development default when no chat model is configured: deterministic, offline, and deliberately modest.
/// It is not a language model (use <see cref="LlmEntityExtractor"/> with a real model for real graphs), but it
/// feeds the same merge, graph and vectors, so the whole pipeline runs without a model server.
/// <list type="bullet">
/// <item>Text is split into sentences (titles, initials and company abbreviations do not end one).</item>
/// <item>Entities are proper-noun phrases: runs of capitalised words, with connectors such as <c>of</c>, <c>de</c>,
/// <c>van</c> inside (<c>University of Cambridge</c>), without a sentence-initial <c>The</c>/<c>In</c>/<c>This</c>…,
/// months, weekdays and nationality adjectives; a lone sentence-initial word counts only when the text also
/// capitalises it mid-sentence or it is a known name or place.</item>
/// <item>Types: an organisation word (Inc, Ltd, University, Institute, Bank, Society…) gives <c>organization</c>;
/// a title (Mr, Dr, Prof…) or a known given name on a two-word or longer phrase gives <c>person</c>; a small
/// gazetteer or a preceding <c>in</c>/<c>at</c>/<c>from</c>/<c>near</c> gives <c>location</c>; event and artifact
/// head words give <c>event</c>/<c>artifact</c>; anything else is <c>concept</c>. A lone surname after the full
/// name (<c>Lovelace</c> after <c>Ada Lovelace</c>) is the same person.</item>
/// <item>Description: the first sentence an entity appears in (at most 300 characters).</item>
/// <item>Relations: two entities in the same sentence; keywords are up to five content words (lower case,
/// stopwords out) from between the two mentions, then from the rest of the sentence; description: that sentence;
/// weight 1.0.</item>
/// </list>
/// Same input, same output, in the same order. LightRAG's per-answer caps apply (40 entities, 100 records).
/// </summary>
public sealed partial class OfflineEntityExtractor : IEntityExtractor
{
    private const int MaxEntities = ExtractionParser.MaxEntities;
    private const int MaxRecords = ExtractionParser.MaxRecords;
    private const int MaxDescriptionLength = 300;
    private const int MaxKeywords = 5;

    private static readonly HashSet<string> Connectors = new(StringComparer.Ordinal)
    {
        "of", "de", "van", "von", "der", "den", "da", "di", "du", "del", "della", "des", "la", "le", "y", "bin", "al",
    };

    private static readonly HashSet<string> SentenceStarters = new(StringComparer.OrdinalIgnoreCase)
    {
        "The", "A", "An", "In", "On", "At", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "I", "His", "Her",
        "Their", "Its", "Our", "My", "Your", "After", "Before", "When", "While", "During", "From", "By", "With", "For", "As",
        "But", "And", "Or", "So", "Yet", "However", "Later", "Today", "Then", "There", "Here", "Both", "Each", "Some", "Many",
        "Most", "All", "Every", "Several", "Such", "No", "Although", "Because", "If", "Since", "Until", "Unlike", "Like", "Over",
        "Under", "Between", "Among", "Yesterday", "Now", "Also", "Meanwhile", "Despite", "Through", "Under", "Upon", "Why",
        "What", "Who", "Where", "How", "Which", "Once", "Eventually", "Finally", "First", "Next", "Thus", "Moreover",
    };

    private static readonly HashSet<string> NotEntities = new(StringComparer.Ordinal)
    {
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        "English", "British", "French", "German", "Italian", "Spanish", "Portuguese", "Dutch", "American", "European", "Chinese",
        "Japanese", "Russian", "Indian", "Scottish", "Irish", "Welsh", "Swiss", "Austrian", "Swedish", "Canadian", "Australian",
    };

    private static readonly HashSet<string> Stopwords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "with", "by", "from", "as", "is", "was",
        "were", "are", "be", "been", "being", "has", "had", "have", "having", "it", "its", "this", "that", "these", "those", "he",
        "she", "they", "them", "him", "his", "her", "hers", "their", "theirs", "we", "us", "our", "you", "your", "i", "me", "my",
        "which", "who", "whom", "whose", "what", "when", "where", "why", "how", "while", "into", "onto", "over", "under", "upon",
        "than", "then", "there", "here", "also", "after", "before", "during", "about", "between", "both", "each", "not", "no",
        "so", "such", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "did", "does", "do", "done",
        "one", "two", "three", "first", "second", "later", "earlier", "very", "more", "most", "much", "many", "some", "any",
        "all", "other", "another", "same", "own", "only", "just", "even", "still", "yet", "again", "ever", "never", "often",
        "through", "across", "against", "among", "around", "within", "without", "until", "since", "because", "although",
        "though", "if", "whether", "either", "neither", "per", "via", "toward", "towards", "near", "off", "out", "up", "down",
        "together", "mr", "mrs", "ms", "dr", "prof", "sir",
    };

    private static readonly HashSet<string> OrganizationWords = new(StringComparer.Ordinal)
    {
        "Inc", "Ltd", "LLC", "PLC", "GmbH", "AG", "SA", "Corp", "Corporation", "Company", "Co", "Holdings", "Industries",
        "University", "Institute", "College", "Foundation", "Agency", "Bank", "Group", "Society", "Association", "Laboratory",
        "Laboratories", "Labs", "School", "Council", "Committee", "Commission", "Ministry", "Department", "Academy", "Museum",
        "Library", "Press", "Union", "Party", "Club", "Trust", "Hospital", "Bureau", "Authority", "Federation", "Organization",
        "Organisation", "Partners", "Observatory", "Church", "Parliament", "Senate", "Court", "Army", "Navy",
    };

    private static readonly HashSet<string> EventWords = new(StringComparer.Ordinal)
    {
        "War", "Battle", "Conference", "Summit", "Exhibition", "Exposition", "Festival", "Olympics", "Games", "Revolution",
        "Election", "Treaty", "Expedition", "Championship", "Congress", "Symposium", "Crisis", "Earthquake", "Flood",
    };

    private static readonly HashSet<string> ArtifactWords = new(StringComparer.Ordinal)
    {
        "Engine", "Machine", "Computer", "Telescope", "Bridge", "Ship", "Car", "Device", "Program", "Programme", "Language",
        "System", "Award", "Prize", "Medal", "Satellite", "Rocket", "Tower", "Building", "Cathedral",
    };

    private static readonly HashSet<string> Titles = new(StringComparer.Ordinal)
    {
        "Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Professor", "Sir", "Dame", "Lady", "Lord", "Madam", "Countess", "Count",
        "Duke", "Duchess", "King", "Queen", "Prince", "Princess", "President", "Senator", "Judge", "Captain", "General",
        "Rev", "Reverend", "Saint", "St",
    };

    private static readonly HashSet<string> Abbreviations = new(StringComparer.Ordinal)
    {
        "Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "Rev", "Gen", "Capt", "Col", "Lt", "Inc", "Ltd", "Corp", "Co", "No",
        "vs", "etc", "e.g", "i.e", "approx", "Fig", "Dept", "Univ", "Mt", "Ave",
    };

    private static readonly HashSet<string> PlaceCues = new(StringComparer.OrdinalIgnoreCase) { "in", "at", "from", "near" };

    private static readonly HashSet<string> KnownPlaces = new(StringComparer.Ordinal)
    {
        "London", "Paris", "Berlin", "Rome", "Madrid", "Lisbon", "Vienna", "Prague", "Amsterdam", "Brussels", "Geneva", "Zurich",
        "Turin", "Milan", "Florence", "Venice", "Naples", "Cambridge", "Oxford", "Edinburgh", "Dublin", "Manchester",
        "England", "Scotland", "Wales", "Ireland", "Britain", "France", "Germany", "Italy", "Spain", "Portugal", "Austria",
        "Switzerland", "Netherlands", "Belgium", "Sweden", "Norway", "Denmark", "Finland", "Poland", "Greece", "Russia",
        "Europe", "Asia", "Africa", "America", "Australia", "Canada", "Mexico", "Brazil", "Argentina", "China", "Japan", "India",
        "Korea", "Egypt", "Boston", "Chicago", "California", "Washington", "New York", "San Francisco", "Los Angeles", "Tokyo",
        "Beijing", "Shanghai", "Moscow", "Sydney", "Toronto", "Delhi", "Mumbai", "Cairo", "Istanbul",
    };

    private static readonly HashSet<string> GivenNames = new(StringComparer.Ordinal)
    {
        "Ada", "Alan", "Albert", "Alice", "Andrew", "Anna", "Anne", "Ann", "Barbara", "Charles", "Charlotte", "Claude", "Daniel",
        "David", "Edward", "Elizabeth", "Emily", "Emma", "Frances", "Francis", "George", "Grace", "Hannah", "Harry", "Helen",
        "Henry", "Isaac", "Jack", "James", "Jane", "John", "Joseph", "Katherine", "Linus", "Lucy", "Margaret", "Maria", "Marie",
        "Mary", "Michael", "Nikola", "Paul", "Peter", "Richard", "Robert", "Sarah", "Sophie", "Thomas", "Tim", "Victoria",
        "William", "Ahmed", "Ali", "Carlos", "Chen", "Hans", "Ines", "Ivan", "Jean", "Juan", "Li", "Luis", "Mohammed",
        "Muhammad", "Olga", "Pierre", "Wei", "Yuki",
    };

    public string Description => "offline (development default: capitalised phrases and sentence co-occurrence, no model)";

    /// <summary>Bump when the rules change: chunks stored with the old ones then count as new.</summary>
    public string Settings => "offline extractor v1";

    public Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Extract(text ?? ""));
    }

    /// <summary>The extraction itself, synchronous and pure.</summary>
    public static ExtractionResult Extract(string text)
    {
        var sentences = Sentences(text).Select(s => new Sentence(s, Tokens(s))).ToList();
        var capitalisedMidSentence = sentences
            .SelectMany(s => s.Tokens.Skip(1).Where(t => IsCapitalised(t.Value)).Select(t => t.Value))
            .ToHashSet(StringComparer.Ordinal);

        // Pass 1: mentions per sentence, and each name's type (the first specific type any mention gives).
        var perSentence = new List<List<Mention>>();
        var order = new List<string>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstSentence = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var sentence in sentences)
        {
            var mentions = new List<Mention>();
            foreach (var mention in Mentions(sentence, capitalisedMidSentence))
            {
                var resolved = mention with { Name = ResolveSurname(mention.Name, order, types) };
                var type = Classify(resolved);
                if (!types.TryGetValue(resolved.Name, out var known))
                {
                    order.Add(resolved.Name);
                    firstSentence[resolved.Name] = sentence.Text;
                    types[resolved.Name] = type;
                }
                else if (known == "concept" && type != "concept")
                {
                    types[resolved.Name] = type;
                }
                mentions.Add(resolved);
            }
            perSentence.Add(mentions);
        }

        var entities = order.Take(MaxEntities)
            .Select(name => new ExtractedEntity(name, types[name], Shorten(firstSentence[name])))
            .ToList();
        var kept = entities.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);

        // Pass 2: co-occurrence within a sentence; the first sentence that pairs two entities describes the relation.
        var relations = new List<ExtractedRelation>();
        var pairs = new HashSet<(string, string)>();
        for (var s = 0; s < sentences.Count; s++)
        {
            var distinct = perSentence[s].Where(m => kept.Contains(m.Name)).DistinctBy(m => m.Name).ToList();
            for (var i = 0; i < distinct.Count; i++)
            {
                for (var j = i + 1; j < distinct.Count; j++)
                {
                    if (entities.Count + relations.Count >= MaxRecords) break;
                    var (a, b) = (distinct[i], distinct[j]);
                    var key = string.CompareOrdinal(a.Name, b.Name) <= 0 ? (a.Name, b.Name) : (b.Name, a.Name);
                    if (!pairs.Add(key)) continue;
                    relations.Add(new ExtractedRelation(a.Name, b.Name, Keywords(sentences[s], a, b, perSentence[s]), Shorten(sentences[s].Text)));
                }
            }
        }

        return new ExtractionResult(entities, relations);
    }

    private sealed record Sentence(string Text, IReadOnlyList<Token> Tokens);

    private readonly record struct Token(string Value, int Start, int End, int Index);

    private sealed record Mention(string Name, int FirstToken, int LastToken, string? Previous, bool Titled);

    private static IEnumerable<Mention> Mentions(Sentence sentence, HashSet<string> capitalisedMidSentence)
    {
        var tokens = sentence.Tokens;
        var i = 0;
        while (i < tokens.Count)
        {
            var word = tokens[i].Value;
            if (!IsCapitalised(word) || Titles.Contains(word) || NotEntities.Contains(word)
                || (i == 0 && (SentenceStarters.Contains(word) || Stopwords.Contains(word))))
            {
                i++;
                continue;
            }

            var end = i;
            while (!EndsWithPossessive(tokens[end].Value) && end + 1 < tokens.Count && Adjacent(sentence.Text, tokens[end], tokens[end + 1]))
            {
                var next = tokens[end + 1].Value;
                if (IsCapitalised(next) && !Titles.Contains(next) && !NotEntities.Contains(next))
                {
                    end++;
                }
                else if (Connectors.Contains(next) && end + 2 < tokens.Count && IsCapitalised(tokens[end + 2].Value)
                         && Adjacent(sentence.Text, tokens[end + 1], tokens[end + 2]))
                {
                    end += 2;
                }
                else
                {
                    break;
                }
            }

            var words = tokens.Skip(i).Take(end - i + 1).Select(t => t.Value).ToList();
            words[^1] = StripPossessive(words[^1]);
            var name = string.Join(' ', words);
            var previous = i > 0 ? tokens[i - 1].Value : null;
            var titled = previous is not null && Titles.Contains(previous) && TitleGap(sentence.Text, tokens[i - 1], tokens[i]);

            var loneInitialWord = i == 0 && words.Count == 1 && !titled && !GivenNames.Contains(name) && !KnownPlaces.Contains(name)
                && !OrganizationWords.Contains(name) && !capitalisedMidSentence.Contains(tokens[i].Value);
            if (name.Length > 1 && !loneInitialWord && !name.All(c => char.IsDigit(c) || c == '-'))
            {
                yield return new Mention(name, i, end, previous, titled);
            }
            i = end + 1;
        }
    }

    /// <summary>A lone surname after the full name in the same text is that person (<c>Lovelace</c> → <c>Ada Lovelace</c>).</summary>
    private static string ResolveSurname(string name, List<string> seen, Dictionary<string, string> types)
    {
        if (name.Contains(' ', StringComparison.Ordinal)) return name;
        foreach (var candidate in seen)
        {
            if (types[candidate] == "person" && candidate.EndsWith(" " + name, StringComparison.Ordinal)) return candidate;
        }
        return name;
    }

    private static string Classify(Mention mention)
    {
        var words = mention.Name.Split(' ');
        if (words.Any(OrganizationWords.Contains)) return "organization";
        if (mention.Titled) return "person";
        if (KnownPlaces.Contains(mention.Name)) return "location";
        if (words.Length >= 2 && GivenNames.Contains(words[0])) return "person";
        if (EventWords.Contains(words[^1])) return "event";
        if (ArtifactWords.Contains(words[^1])) return "artifact";
        if (mention.Previous is not null && PlaceCues.Contains(mention.Previous)) return "location";
        return "concept";
    }

    private static IReadOnlyList<string> Keywords(Sentence sentence, Mention a, Mention b, List<Mention> mentions)
    {
        var inEntity = new HashSet<int>();
        foreach (var m in mentions)
        {
            for (var t = m.FirstToken; t <= m.LastToken; t++) inEntity.Add(t);
        }

        var (first, second) = a.FirstToken <= b.FirstToken ? (a, b) : (b, a);
        var between = Enumerable.Range(first.LastToken + 1, Math.Max(0, second.FirstToken - first.LastToken - 1));
        var after = Enumerable.Range(second.LastToken + 1, Math.Max(0, sentence.Tokens.Count - second.LastToken - 1));
        var before = Enumerable.Range(0, first.FirstToken);

        return between.Concat(after).Concat(before)
            .Where(t => !inEntity.Contains(t))
            .Select(t => sentence.Tokens[t].Value)
            .Where(w => w.Length > 2 && !IsCapitalised(w) && !Stopwords.Contains(w) && !w.Any(char.IsDigit))
            .Select(w => StripPossessive(w).ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .Take(MaxKeywords)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Sentences: a break after <c>.</c>, <c>!</c> or <c>?</c> (not after a title, an initial or an abbreviation), or a line break.</summary>
    private static IEnumerable<string> Sentences(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            var start = 0;
            foreach (Match end in SentenceEnd().Matches(line))
            {
                var before = LastWord().Match(line[..end.Index]).Value;
                if (Abbreviations.Contains(before.TrimEnd('.')) || (before.Length == 1 && char.IsUpper(before[0])))
                {
                    continue;
                }
                var sentence = line[start..(end.Index + end.Length)].Trim();
                if (sentence.Length > 0) yield return sentence;
                start = end.Index + end.Length;
            }
            var rest = line[start..].Trim();
            if (rest.Length > 0) yield return rest;
        }
    }

    private static List<Token> Tokens(string sentence) =>
        Word().Matches(sentence).Select((m, i) => new Token(m.Value, m.Index, m.Index + m.Length, i)).ToList();

    private static bool Adjacent(string text, Token left, Token right) =>
        right.Start > left.End && text.AsSpan(left.End, right.Start - left.End).IsWhiteSpace();

    private static bool TitleGap(string text, Token title, Token name)
    {
        var gap = text.AsSpan(title.End, name.Start - title.End);
        return gap.Length is > 0 and <= 2 && gap.Trim('.').IsWhiteSpace();
    }

    private static bool IsCapitalised(string word) => word.Length > 0 && char.IsUpper(word[0]);

    private static bool EndsWithPossessive(string word) => word.EndsWith("'s", StringComparison.Ordinal) || word.EndsWith("’s", StringComparison.Ordinal);

    private static string StripPossessive(string word) => EndsWithPossessive(word) ? word[..^2] : word.TrimEnd('\'', '’');

    private static string Shorten(string sentence)
    {
        if (sentence.Length <= MaxDescriptionLength) return sentence;
        var cut = sentence.LastIndexOf(' ', MaxDescriptionLength - 1);
        return sentence[..(cut > MaxDescriptionLength / 2 ? cut : MaxDescriptionLength - 1)].TrimEnd() + "…";
    }

    [GeneratedRegex(@"[.!?]+[""'”’)\]]*(?=\s+|$)")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{M}\p{N}.]*$", RegexOptions.RightToLeft)]
    private static partial Regex LastWord();

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{M}\p{N}'’\-]*")]
    private static partial Regex Word();
}
