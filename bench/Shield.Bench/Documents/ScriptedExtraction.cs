using System.Text;
using Shield.Drills.Models;

namespace Shield.Bench.Documents;

/// <summary>
/// The answers the <see cref="ScriptedOllamaServer"/> gives for the generated documents, written as a model would write
/// them in LightRAG's record format: the first pass names the chunk's people and organisations and the relations
/// between them; the gleaning pass adds what it missed, the places and the relations that involve a place. A relation
/// is two names in one sentence (its description is that sentence); an entity's description is the first sentence of
/// the chunk that names it. LightRAG's per-answer caps hold (40 entities, 100 records). Summaries keep the server's
/// own answer.
/// </summary>
public static class ScriptedExtraction
{
    private const int MaxEntities = 40;
    private const int MaxRecords = 100;

    public static string? Answer(ChatPrompt prompt)
    {
        if (prompt.IsSummary || prompt.ChunkText is not { } text) return null;
        return Records(text, gleaning: prompt.IsGleaning);
    }

    private static string Records(string chunk, bool gleaning)
    {
        var sentences = chunk.Split(['.', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool Wanted(WorldName name) => (name.Kind == WorldKind.Location) == gleaning;

        var entities = new List<(WorldName Name, string Description)>();
        var relations = new List<(WorldName Source, WorldName Target, string Description)>();
        var seenPairs = new HashSet<(string, string)>();
        foreach (var sentence in sentences)
        {
            var named = DocumentCorpus.All.Where(n => sentence.Contains(n.Name, StringComparison.Ordinal)).ToList();
            foreach (var name in named.Where(Wanted))
            {
                if (entities.All(e => e.Name != name)) entities.Add((name, $"{name.Name} appears in the chronicle: {sentence}."));
            }
            for (var i = 0; i < named.Count; i++)
            {
                for (var j = i + 1; j < named.Count; j++)
                {
                    var (a, b) = (named[i], named[j]);
                    // The first pass relates people and organisations; gleaning adds every relation with a place.
                    var involvesPlace = a.Kind == WorldKind.Location || b.Kind == WorldKind.Location;
                    if (involvesPlace != gleaning) continue;
                    var pair = string.CompareOrdinal(a.Name, b.Name) < 0 ? (a.Name, b.Name) : (b.Name, a.Name);
                    if (seenPairs.Add(pair)) relations.Add((a, b, $"{sentence}."));
                }
            }
        }

        var answer = new StringBuilder();
        var records = 0;
        foreach (var (name, description) in entities.Take(MaxEntities))
        {
            answer.Append($"entity<|#|>{name.Name}<|#|>{Type(name.Kind)}<|#|>{description}\n");
            records++;
        }
        foreach (var (source, target, description) in relations.Take(MaxRecords - records))
        {
            answer.Append($"relation<|#|>{source.Name}<|#|>{target.Name}<|#|>{Keywords(source, target)}<|#|>{description}\n");
        }
        answer.Append("<|COMPLETE|>");
        return answer.ToString();
    }

    private static string Type(WorldKind kind) => kind switch
    {
        WorldKind.Person => "person",
        WorldKind.Organization => "organization",
        _ => "location",
    };

    private static string Keywords(WorldName a, WorldName b) => (a.Kind, b.Kind) switch
    {
        (WorldKind.Person, WorldKind.Person) => "collaboration, correspondence",
        (WorldKind.Location, _) or (_, WorldKind.Location) => "location, travel",
        _ => "employment, funding",
    };
}
