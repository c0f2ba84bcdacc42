using System.Text.RegularExpressions;

namespace Shield.Workers.Extraction;

/// <summary>
/// The development default when no chat model is configured: deterministic, offline, and deliberately modest.
/// Entities are capitalised phrases (typed by suffixes, titles, place cues and small word lists); relationships
/// are two entities in the same sentence, with keywords and description taken from that sentence. It feeds the
/// same merge, graph and vectors as a model would, but it is not a language model: use Ollama for real graphs.
/// </summary>
public sealed partial class OfflineEntityExtractor : IEntityExtractor
{
    private const int MaxEntities = 40;
    private const int MaxRecords = 100;
    private const int MaxDescriptionLength = 300;

    private static readonly HashSet<string> Connectors = ["of", "de", "van", "von", "der", "da", "di", "du", "la", "le", "and"];

    private static readonly HashSet<string> SentenceStarters = new(StringComparer.OrdinalIgnoreCase)
    {
        "The", "A", "An", "In", "On", "At", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "I", "His", "Her",
        "Their", "Its", "After", "Before", "When", "While", "During", "From", "By", "With", "For", "As", "But", "And", "Or",
        "However", "Later", "Today", "Then", "There", "Here", "Both", "Each", "Some", "Many", "Most", "Although", "Because",
        "If", "Since", "Until", "Unlike", "Like", "Over", "Under", "Between", "Among", "Today", "Yesterday", "Now", "Also",
    };

    private static readonly HashSet<string> Stopwords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "with", "by", "from", "as", "is", "was", "were",
        "are", "be", "been", "being", "has", "had", "have", "it", "its", "this", "that", "these", "those", "he", "she", "they",
        "his", "her", "their", "which", "who", "whom", "whose", "what", "when", "where", "while", "into", "onto", "over", "under",
        "than", "then", "there", "also", "after", "before", "during", "about", "between", "both", "each", "not", "no", "so",
        "such", "can", "could", "would", "should", "will", "may", "might", "did", "does", "do", "one", "two", "first",
    };

    private static readonly HashSet<string> OrganizationWords = new(StringComparer.Ordinal)
    {
        "Inc", "Ltd", "Corp", "Corporation", "Company", "University", "Institute", "College", "Foundation", "Agency", "Bank",
        "Group", "Society", "Association", "Laboratory", "Laboratories", "Labs", "School", "Council", "Committee", "Ministry",
        "Department", "Academy", "Museum", "Library", "Office", "Press", "Union", "Party", "Club", "Team", "Partners",
    };

    private static readonly HashSet<string> EventWords = new(StringComparer.Ordinal)
    {
        "War", "Conference", "Summit", "Exhibition", "Festival", "Olympics", "Revolution", "Election", "Treaty", "Expedition",
    };

    private static readonly HashSet<string> ArtifactWords = new(StringComparer.Ordinal)
    {
        "Engine", "Machine", "Computer", "Telescope", "Bridge", "Ship", "Car", "Device", "Program", "Language", "System", "Award", "Prize",
    };

    private static readonly HashSet<string> Titles = new(StringComparer.Ordinal) { "Mr", "Mrs", "Ms", "Dr", "Prof", "Professor", "Sir", "Lady", "Lord", "Dame", "Countess", "Count" };

    private static readonly HashSet<string> PlaceCues = new(StringComparer.OrdinalIgnoreCase) { "in", "at", "near", "from", "to", "across" };

    private static readonly HashSet<string> KnownPlaces = new(StringComparer.Ordinal)
    {
        "London", "Paris", "Berlin", "Rome", "Cambridge", "Oxford", "England", "France", "Germany", "Italy", "Spain", "Europe",
        "America", "Boston", "New York", "California", "Tokyo", "China", "Japan", "India", "Scotland", "Ireland", "Wales",
    };

    public string Description => "offline (development default: capitalised phrases and sentence co-occurrence, no model)";

    public Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken)
    {
        var entities = new Dictionary<string, ExtractedEntity>(StringComparer.Ordinal);
        var relations = new Dictionary<(string, string), ExtractedRelation>();

        foreach (var sentence in Sentences(text))
        {
            var words = Word().Matches(sentence).Select(m => (m.Value, m.Index)).ToList();
            var mentions = Mentions(words);
            var named = new List<string>();
            foreach (var (name, start, previous) in mentions)
            {
                if (!entities.ContainsKey(name))
                {
                    if (entities.Count >= MaxEntities) continue;
                    entities[name] = new ExtractedEntity(name, Classify(name, previous), Trim(sentence));
                }
                if (!named.Contains(name)) named.Add(name);
            }

            for (var i = 0; i < named.Count; i++)
            {
                for (var j = i + 1; j < named.Count; j++)
                {
                    var pair = string.CompareOrdinal(named[i], named[j]) <= 0 ? (named[i], named[j]) : (named[j], named[i]);
                    if (relations.ContainsKey(pair) || entities.Count + relations.Count >= MaxRecords) continue;
                    relations[pair] = new ExtractedRelation(named[i], named[j], Keywords(words, named), Trim(sentence));
                }
            }
        }

        return Task.FromResult(new ExtractionResult([.. entities.Values], [.. relations.Values]));
    }

    /// <summary>Capitalised phrases, with the word before each (for titles and place cues).</summary>
    private static List<(string Name, int Start, string? Previous)> Mentions(List<(string Value, int Index)> words)
    {
        var mentions = new List<(string, int, string?)>();
        var i = 0;
        while (i < words.Count)
        {
            if (!IsCapitalised(words[i].Value) || (i == 0 && SentenceStarters.Contains(words[i].Value)) || Titles.Contains(words[i].Value))
            {
                i++;
                continue;
            }
            var end = i;
            while (end + 1 < words.Count && (IsCapitalised(words[end + 1].Value)
                   || (Connectors.Contains(words[end + 1].Value) && end + 2 < words.Count && IsCapitalised(words[end + 2].Value))))
            {
                end++;
            }
            var tokens = words.Skip(i).Take(end - i + 1).Select(w => w.Value).ToList();
            var name = string.Join(' ', tokens);
            if (name.Length > 1 && !Stopwords.Contains(name))
            {
                mentions.Add((name, words[i].Index, i > 0 ? words[i - 1].Value : null));
            }
            i = end + 1;
        }
        return mentions;
    }

    private static string Classify(string name, string? previous)
    {
        var tokens = name.Split(' ');
        if (tokens.Any(OrganizationWords.Contains)) return "organization";
        if (EventWords.Contains(tokens[^1])) return "event";
        if (ArtifactWords.Contains(tokens[^1])) return "artifact";
        if (KnownPlaces.Contains(name)) return "location";
        if (previous is not null && Titles.Contains(previous)) return "person";
        if (previous is not null && PlaceCues.Contains(previous) && tokens.Length == 1) return "location";
        if (tokens.Length is 2 or 3 && tokens.All(t => t.Length > 1 && char.IsUpper(t[0]) && !t.All(char.IsUpper))) return "person";
        return "concept";
    }

    private static IReadOnlyList<string> Keywords(List<(string Value, int Index)> words, List<string> named)
    {
        var entityWords = named.SelectMany(n => n.Split(' ')).ToHashSet(StringComparer.Ordinal);
        return words.Select(w => w.Value)
            .Where(w => w.Length > 2 && !entityWords.Contains(w) && !Stopwords.Contains(w) && !IsCapitalised(w))
            .Select(w => w.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .Take(5)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static IEnumerable<string> Sentences(string text) =>
        SentenceBreak().Split(text).Select(s => s.Trim()).Where(s => s.Length > 0);

    private static bool IsCapitalised(string word) => word.Length > 0 && char.IsUpper(word[0]);

    private static string Trim(string sentence) =>
        sentence.Length <= MaxDescriptionLength ? sentence : sentence[..MaxDescriptionLength].TrimEnd() + "…";

    [GeneratedRegex(@"(?<=[.!?])\s+|\n+")]
    private static partial Regex SentenceBreak();

    [GeneratedRegex(@"[\p{L}][\p{L}\p{M}'’\-]*")]
    private static partial Regex Word();
}
