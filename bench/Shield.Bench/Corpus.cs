using System.Text;

namespace Shield.Bench;

/// <summary>
/// The fixed inputs: about 1 KB per chunk. <c>noop</c>/<c>delay</c> use filler text (its content is never read);
/// <c>embedded</c> uses deterministic English prose with named people, organisations and places, so the offline
/// extractor finds entities and relations and the graph, the embedder and the vector store all get real work.
/// Every chunk is distinct (it carries its number), so no two share a content address.
/// </summary>
public static class Corpus
{
    private static readonly string[] People = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Claude Shannon", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth", "Margaret Hamilton"];
    private static readonly string[] Organisations = ["Cambridge University", "Bell Labs Inc", "Royal Society", "Manchester Institute", "Analytical Engines Ltd", "Harvard University"];
    private static readonly string[] Places = ["London", "Paris", "Boston", "Amsterdam", "Zurich", "Princeton"];
    private static readonly string[] Topics = ["compilers", "information theory", "program verification", "numerical analysis", "distributed systems", "cryptography"];

    public static string[] Build(string workload, int count) => [.. Enumerable.Range(0, count).Select(i => Single(workload, i))];

    public static string Single(string workload, int index)
    {
        if (workload != "embedded")
        {
            var prefix = $"chunk {index} ";
            return prefix + new string('x', 1000 - prefix.Length);
        }

        var text = new StringBuilder($"Record {index}. ");
        for (var s = 0; text.Length < 1000; s++)
        {
            var k = index * 7 + s * 3;
            var person = People[k % People.Length];
            var other = People[(k + 3) % People.Length];
            var organisation = Organisations[(k / 2) % Organisations.Length];
            var place = Places[(k / 3) % Places.Length];
            var topic = Topics[(k + s) % Topics.Length];
            text.Append((s % 3) switch
            {
                0 => $"{person} worked with {other} at {organisation} in {place} on {topic} during study {index}. ",
                1 => $"In {place}, {organisation} published the notes of {person} about {topic}. ",
                _ => $"{other} later presented the results on {topic} to the {organisation} near {place}. ",
            });
        }
        return text.ToString();
    }
}
