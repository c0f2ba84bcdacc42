using System.Text;
using Microsoft.ML.Tokenizers;

namespace Shield.Bench.Documents;

/// <summary>What a world name stands for.</summary>
public enum WorldKind
{
    Person,
    Organization,
    Location,
}

/// <summary>
/// Which documents: <see cref="World"/>, the world's chronicles; <see cref="Frequent"/>, the same with one organisation
/// named in every chunk and another in every other chunk (the knowledge base's hottest nodes, issue 21).
/// </summary>
public enum CorpusKind
{
    World,
    Frequent,
}

/// <summary>One recurring name of the generated world.</summary>
public sealed record WorldName(string Name, WorldKind Kind);

/// <summary>
/// The <c>document</c> workload's input: long English chronicles of one fictional world of 60 named people,
/// organisations and places. Each document is deterministic in its number. Names are drawn with a Zipf-like skew,
/// rotated per document, so in every document a few names recur in nearly every chunk (they reach LightRAG's 8
/// fragments) while the tail appears in a handful; documents share the world, so a knowledge base that holds some
/// already knows most names of the next. A person is usually seen with their own organisation and town, so relations
/// recur too. About a third of the sentences name nobody. Every sentence carries its own number, so no two
/// descriptions are the same text.
/// </summary>
public static class DocumentCorpus
{
    public static readonly IReadOnlyList<WorldName> People = Names(WorldKind.Person,
        "Mira Castellan", "Tobias Renwick", "Ilse Marchetti", "Jonas Albescu", "Petra Ondrakova", "Anselm Voss",
        "Lena Haverkamp", "Oren Tallis", "Sabine Kowalczyk", "Matthias Brandt", "Yara Solberg", "Felix Amundsen",
        "Clara Ostrowski", "Edmund Ferrow", "Nadia Kerrigan", "Viktor Lindqvist", "Helena Strand", "Rafael Quintero",
        "Agnes Whitlow", "Casimir Dorn", "Ingrid Falk", "Tomas Eberhart", "Lucia Moravec", "Henrik Sallow");

    public static readonly IReadOnlyList<WorldName> Organisations = Names(WorldKind.Organization,
        "Halvard Shipping Company", "Northmere University", "Brackwater Institute", "Vantor Bank", "Royal Cartographic Society",
        "Eastmarch Railway Company", "Verdant Seed Foundation", "Corran Observatory", "Tessaly Press", "Ironvale Mining Group",
        "Lowmoor Academy", "Pellam Museum", "Aldwin Trust", "Kestrel Aviation Corporation", "Harbour Council",
        "Wexford Laboratories", "Silvergate Union", "Quillon Hospital");

    public static readonly IReadOnlyList<WorldName> Places = Names(WorldKind.Location,
        "Port Wendel", "Elsinmoor", "Kaldera Bay", "Stennhaven", "Ravensholt", "Marisport", "Tolvane", "Greyfen",
        "Oakhurst Vale", "Lirren", "Dunmore Heath", "Calloway Point", "Veshta", "Skarn Valley", "Hollin Ford",
        "Amberley Cross", "Norrvik", "Saltmere");

    /// <summary>The frequent corpus's two organisations: in every chunk, and in every other one. The world corpus never names them.</summary>
    public static readonly WorldName EveryChunk = new("Meridian Council", WorldKind.Organization);
    public static readonly WorldName HalfTheChunks = new("Lantern Guild", WorldKind.Organization);

    public static readonly IReadOnlyList<WorldName> All = [.. People, .. Organisations, .. Places, EveryChunk, HalfTheChunks];

    private static readonly string[] Topics =
    [
        "tide tables", "grain prices", "the northern survey", "steam engines", "the harbour ledgers", "star charts",
        "copper ore", "the winter census", "seed banks", "the coastal railway", "river charts", "printing presses",
        "fever wards", "glass lenses", "the land registry", "wind mills", "salt works", "postal routes",
    ];

    private static readonly string[] Goods = ["coal", "wool", "timber", "salt", "flour", "lamp oil", "iron nails", "rope"];
    private static readonly string[] Weather = ["wet and cold", "dry and bright", "stormy", "mild", "grey and windy", "unusually warm"];
    private static readonly string[] Roads = ["muddy", "clear", "blocked by snow", "busy with carts", "quiet", "flooded in places"];

    /// <summary>
    /// The document's text: sentences in paragraphs, as many as fit in <paramref name="tokens"/> tokens of
    /// <paramref name="tokenizer"/>. With <c>tokens = n × 1,100</c> LightRAG's chunker (1,200-token windows every 1,100
    /// tokens) cuts it into exactly n chunks.
    /// </summary>
    /// <remarks>
    /// With <see cref="CorpusKind.Frequent"/>, every paragraph (six sentences, about 170 tokens) opens with a sentence
    /// naming <see cref="EveryChunk"/>, and in every other 1,100-token stretch (one chunk's worth) the third sentence of
    /// each paragraph names <see cref="HalfTheChunks"/>, but not in the stretch's first 100 tokens, which the chunk
    /// before it also holds (windows of 1,200 every 1,100), nor from its last 100 on (a sentence begun there would
    /// reach the next chunk): each chunk names the first, every other chunk the second.
    /// </remarks>
    public static string Document(int document, int tokens, Tokenizer tokenizer, CorpusKind corpus = CorpusKind.World)
    {
        var random = new Random(1_000 + document);
        var text = new StringBuilder();
        // Sentence by sentence, each counted with the space or paragraph break before it (how it is encoded in the text).
        // That sum sizes the text; it runs ahead of the tokens the chunker sees (a sentence's closing full stop and the
        // next paragraph's break encode as one token in context), so where the text is in the chunker's windows is
        // counted apart: each sentence with the character before it, less that character alone.
        for (int sentence = 0, used = 0, position = 0; ; sentence++)
        {
            var said = corpus == CorpusKind.Frequent && sentence % 6 == 0 ? Frequent(EveryChunk, document, sentence, random)
                : corpus == CorpusKind.Frequent && sentence % 6 == 2 && position % 2200 is >= 100 and < 1000 ? Frequent(HalfTheChunks, document, sentence, random)
                : Sentence(document, sentence, random);
            var next = (sentence == 0 ? "" : sentence % 6 == 0 ? "\n\n" : " ") + said;
            var cost = tokenizer.CountTokens(next);
            if (used + cost > tokens) return text.ToString();
            if (corpus == CorpusKind.Frequent)
            {
                var before = text.Length == 0 ? "" : text[^1].ToString();
                position += tokenizer.CountTokens(before + next) - tokenizer.CountTokens(before);
            }
            text.Append(next);
            used += cost;
        }
    }

    private static string Sentence(int document, int n, Random random)
    {
        var year = 1840 + document * 3 + n / 40;
        var person = Pick(People, document, random);
        var other = Pick(People, document + 7, random);
        if (other == person) other = People[(People.IndexOf(person) + 1) % People.Count];
        // Most often a person is seen with their own organisation and town, so those relations recur.
        var organisation = random.NextDouble() < 0.6 ? HomeOrganisation(person) : Pick(Organisations, document + 3, random);
        var place = random.NextDouble() < 0.6 ? HomePlace(person) : Pick(Places, document + 5, random);
        var place2 = Pick(Places, document + 11, random);
        if (place2 == place) place2 = Places[(Places.IndexOf(place) + 1) % Places.Count];
        var topic = Topics[random.Next(Topics.Length)];
        return random.Next(12) switch
        {
            0 => $"In the spring of {year}, {person.Name} joined the {organisation.Name} in {place.Name} to work on {topic}, as entry {n} records.",
            1 => $"{person.Name} wrote letter {n} to {other.Name} about {topic}.",
            2 => $"The {organisation.Name} opened its office number {n} in {place.Name}, and {person.Name} was put in charge of {topic}.",
            3 => $"{person.Name} and {other.Name} travelled from {place.Name} to {place2.Name} in {year} with report {n} on {topic}.",
            4 => $"Ledger entry {n} notes that the {organisation.Name} paid {person.Name} {20 + n % 180} crowns for {topic}.",
            5 => $"At a meeting in {place.Name} in {year}, {other.Name} disputed the figures of {person.Name} on {topic} for the {n}th time.",
            6 => $"The {organisation.Name} sent {person.Name} to {place2.Name} for {3 + n % 20} weeks to study {topic}.",
            7 => $"Minute {n} of the {organisation.Name} thanks {person.Name} for the work on {topic}.",
            8 => $"The weather that season was {Weather[random.Next(Weather.Length)]}, and by week {n % 52 + 1} the roads were {Roads[random.Next(Roads.Length)]}.",
            9 => $"Prices for {Goods[random.Next(Goods.Length)]} rose by {1 + n % 17} percent in {year}, and the markets talked of little else.",
            10 => $"Report {n} on {topic} ran to {40 + n % 300} pages, most of them tables that few people read.",
            _ => $"Nobody could agree on {topic} that year, and note {n} only says the question was left for later.",
        };
    }

    /// <summary>A sentence naming one of the frequent corpus's organisations with a person, numbered like every other.</summary>
    private static string Frequent(WorldName organisation, int document, int n, Random random) =>
        $"The {organisation.Name} recorded in minute {n} of year {1840 + document * 3 + n / 40} that {Pick(People, document, random).Name} attended.";

    private static WorldName HomeOrganisation(WorldName person) => Organisations[People.IndexOf(person) * 5 % Organisations.Count];

    private static WorldName HomePlace(WorldName person) => Places[People.IndexOf(person) * 7 % Places.Count];

    /// <summary>Zipf-like (weight 1/(rank+1)): rank 0 is drawn about 8 times as often as rank 10; ranks rotate per document.</summary>
    private static WorldName Pick(IReadOnlyList<WorldName> names, int rotation, Random random)
    {
        var total = 0.0;
        for (var rank = 0; rank < names.Count; rank++) total += 1.0 / (rank + 1);
        var draw = random.NextDouble() * total;
        for (var rank = 0; rank < names.Count; rank++)
        {
            draw -= 1.0 / (rank + 1);
            if (draw <= 0) return names[(rank + rotation * 5) % names.Count];
        }
        return names[rotation * 5 % names.Count];
    }

    private static WorldName[] Names(WorldKind kind, params string[] names) => [.. names.Select(n => new WorldName(n, kind))];

    private static int IndexOf(this IReadOnlyList<WorldName> names, WorldName name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name) return i;
        }
        return -1;
    }
}
