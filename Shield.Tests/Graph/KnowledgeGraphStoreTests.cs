using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Shield.Ingestion.Persistence;
using Shield.Tests.Infrastructure;
using Shield.Workers.Graph;

namespace Shield.Tests.Graph;

/// <summary>LightRAG's merge rules on the real PostgreSQL graph tables, including many concurrent merges.</summary>
[Collection(StackCollection.Name)]
public sealed class KnowledgeGraphStoreTests(ShieldStackFixture stack)
{
    /// <summary>Names unique to each test, because all tests share one database.</summary>
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];

    private string N(string name) => $"{name} {_run}";

    private ShieldDbContext NewContext() =>
        new(new DbContextOptionsBuilder<ShieldDbContext>().UseNpgsql(stack.PostgresConnectionString).Options);

    private async Task<GraphMergeResult> MergeAsync(ChunkGraph chunk, IDescriptionSummarizer? summarizer = null)
    {
        await using var db = NewContext();
        var store = new KnowledgeGraphStore(db, summarizer ?? new CountingSummarizer(), TimeProvider.System, NullLogger<KnowledgeGraphStore>.Instance);
        return await store.MergeAsync(chunk, CancellationToken.None);
    }

    private async Task<GraphEntityRow?> EntityAsync(string name)
    {
        await using var db = NewContext();
        return await db.GraphEntities.AsNoTracking().SingleOrDefaultAsync(e => e.Name == name);
    }

    private async Task<GraphRelationshipRow?> RelationshipAsync(string a, string b)
    {
        var (source, target) = GraphMergeRules.SortedPair(a, b);
        await using var db = NewContext();
        return await db.GraphRelationships.AsNoTracking().SingleOrDefaultAsync(r => r.SourceName == source && r.TargetName == target);
    }

    private static EntityMention Entity(string name, string type, string description) => new(name, type, description);

    [Fact]
    public async Task The_same_entity_from_several_chunks_becomes_one_node_with_every_source_chunk()
    {
        var ada = N("Ada Lovelace");
        await MergeAsync(new ChunkGraph("chunk-a" + _run, [Entity(ada, "person", "Ada wrote the first program.")], []));
        await MergeAsync(new ChunkGraph("chunk-b" + _run, [Entity(ada, "person", "Ada worked with Babbage.")], []));
        await MergeAsync(new ChunkGraph("chunk-c" + _run, [Entity(ada, "concept", "Ada worked with Babbage.")], []));

        var node = (await EntityAsync(ada))!;
        Assert.Equal("person", node.EntityType);
        Assert.Equal(["chunk-a" + _run, "chunk-b" + _run, "chunk-c" + _run], node.SourceChunkIds);
        // The repeated description is kept once.
        Assert.Equal($"Ada wrote the first program.{GraphMergeRules.Separator}Ada worked with Babbage.", node.Description);
        Assert.Equal(2, node.FragmentCount);
    }

    [Fact]
    public async Task Reprocessing_a_chunk_leaves_the_graph_exactly_as_it_was()
    {
        var ada = N("Ada Lovelace");
        var babbage = N("Charles Babbage");
        var chunk = new ChunkGraph("chunk-r" + _run,
            [Entity(ada, "person", "Mathematician."), Entity(babbage, "person", "Engineer.")],
            [new RelationMention(ada, babbage, ["collaboration"], "They worked on the Analytical Engine.", 1.0)]);
        await MergeAsync(new ChunkGraph("chunk-other" + _run, [Entity(ada, "person", "Wrote notes.")], []));
        await MergeAsync(chunk);
        var before = (await EntityAsync(ada), await EntityAsync(babbage), await RelationshipAsync(ada, babbage));

        await MergeAsync(chunk);
        await MergeAsync(chunk);
        var after = (await EntityAsync(ada), await EntityAsync(babbage), await RelationshipAsync(ada, babbage));

        Assert.Equal(Snapshot(before.Item1!), Snapshot(after.Item1!));
        Assert.Equal(Snapshot(before.Item2!), Snapshot(after.Item2!));
        Assert.Equal((before.Item3!.Weight, before.Item3.Description, string.Join(",", before.Item3.SourceChunkIds)),
            (after.Item3!.Weight, after.Item3.Description, string.Join(",", after.Item3.SourceChunkIds)));
        Assert.Equal(1.0, after.Item3.Weight);
    }

    private static string Snapshot(GraphEntityRow row) =>
        $"{row.EntityType}|{row.Description}|{string.Join(",", row.SourceChunkIds)}|{row.FragmentCount}";

    [Fact]
    public async Task A_reprocessed_chunk_replaces_what_it_said_before()
    {
        var kept = N("Analytical Engine");
        var dropped = N("Difference Engine");
        await MergeAsync(new ChunkGraph("chunk-x" + _run, [Entity(kept, "artifact", "A machine."), Entity(dropped, "artifact", "Another machine.")],
            [new RelationMention(kept, dropped, ["successor"], "One followed the other.", 1.0)]));

        var result = await MergeAsync(new ChunkGraph("chunk-x" + _run, [Entity(kept, "artifact", "A general-purpose machine.")], []));

        Assert.Null(await EntityAsync(dropped));
        Assert.Null(await RelationshipAsync(kept, dropped));
        Assert.Equal("A general-purpose machine.", (await EntityAsync(kept))!.Description);
        Assert.Contains(dropped, result.RemovedEntities);
        Assert.Contains(GraphMergeRules.SortedPair(kept, dropped), result.RemovedRelationships);
    }

    [Fact]
    public async Task Relationships_are_undirected_sum_their_weights_and_union_their_keywords()
    {
        var a = N("Alan Turing");
        var b = N("Bletchley Park");
        await MergeAsync(new ChunkGraph("chunk-1" + _run, [Entity(a, "person", "Codebreaker."), Entity(b, "location", "Estate.")],
            [new RelationMention(a, b, ["work", "codebreaking"], "Turing worked at Bletchley Park.", 1.0)]));
        await MergeAsync(new ChunkGraph("chunk-2" + _run, [],
            [new RelationMention(b, a, ["enigma", "work"], "Bletchley Park is where Turing broke Enigma.", 2.0)]));

        var edge = (await RelationshipAsync(a, b))!;
        Assert.Equal(3.0, edge.Weight);
        Assert.Equal(["codebreaking", "enigma", "work"], edge.Keywords);
        Assert.Equal(2, edge.FragmentCount);
        Assert.Equal(["chunk-1" + _run, "chunk-2" + _run], edge.SourceChunkIds);
    }

    [Fact]
    public async Task An_endpoint_nobody_described_becomes_an_UNKNOWN_entity_until_someone_does()
    {
        var a = N("Grace Hopper");
        var b = N("COBOL");
        await MergeAsync(new ChunkGraph("chunk-u1" + _run, [Entity(a, "person", "Rear admiral.")],
            [new RelationMention(a, b, ["design"], "Hopper shaped COBOL.", 1.0)]));
        Assert.Equal(GraphMergeRules.UnknownType, (await EntityAsync(b))!.EntityType);
        Assert.Equal("Hopper shaped COBOL.", (await EntityAsync(b))!.Description);

        await MergeAsync(new ChunkGraph("chunk-u2" + _run, [Entity(b, "artifact", "A business language.")], []));

        Assert.Equal("artifact", (await EntityAsync(b))!.EntityType);
    }

    [Fact]
    public async Task Concurrent_merges_of_the_same_entity_lose_no_update()
    {
        var hub = N("Royal Society");
        var merges = Enumerable.Range(0, 24).Select(i => Task.Run(() => MergeAsync(new ChunkGraph($"chunk-{i:D2}-{_run}",
            [Entity(hub, "organization", $"Fact number {i}."), Entity(N($"Fellow {i}"), "person", "A fellow.")],
            [new RelationMention(hub, N($"Fellow {i}"), ["membership"], $"Fellow {i} joined.", 1.0)]))));

        await Task.WhenAll(merges);

        var node = (await EntityAsync(hub))!;
        Assert.Equal(24, node.SourceChunkIds.Length);
        Assert.Equal(24, node.FragmentCount);
        Assert.True(node.Summarized, "24 fragments pass the summary threshold of 8");
    }

    [Fact]
    public async Task Past_the_threshold_the_description_is_summarised_once_and_kept_on_reprocessing()
    {
        var name = N("Analytical Society");
        var summarizer = new CountingSummarizer();
        for (var i = 0; i < GraphMergeRules.SummaryFragmentThreshold - 1; i++)
        {
            await MergeAsync(new ChunkGraph($"chunk-s{i}-{_run}", [Entity(name, "organization", $"Detail {i}.")], []), summarizer);
        }
        Assert.Equal(0, summarizer.Calls);
        Assert.False((await EntityAsync(name))!.Summarized);

        var last = new ChunkGraph($"chunk-s-last-{_run}", [Entity(name, "organization", "Detail last.")], []);
        var result = await MergeAsync(last, summarizer);
        Assert.Equal(1, summarizer.Calls);
        Assert.Equal($"summary of {name} from 8 fragments", (await EntityAsync(name))!.Description);
        Assert.Equal($"summary of {name} from 8 fragments", result.Entities.Single(e => e.Name == name).Description);

        await MergeAsync(last, summarizer);
        Assert.Equal(1, summarizer.Calls);
        Assert.Equal($"summary of {name} from 8 fragments", (await EntityAsync(name))!.Description);
    }

    private sealed class CountingSummarizer : IDescriptionSummarizer
    {
        private int _calls;
        public int Calls => _calls;
        public string Description => "test";

        public Task<string> SummarizeAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult($"summary of {subject} from {fragments.Count} fragments");
        }
    }
}
