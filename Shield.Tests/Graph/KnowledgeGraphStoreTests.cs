using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shield.Ingestion.Persistence;
using Shield.Knowledge;
using Shield.Tests.Infrastructure;
using Shield.Tests.Models;
using Shield.Workers.Finalization;
using Shield.Workers.Graph;

namespace Shield.Tests.Graph;

/// <summary>
/// LightRAG's merge rules on the real PostgreSQL graph tables, including many concurrent merges, and a job's finalisation
/// (summaries and vectors once per job) on top of them. A merge keeps each node's working state; what the rules make of
/// it is published by the job's finalisation, so the tests read a node after finalising.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class KnowledgeGraphStoreTests(ShieldStackFixture stack)
{
    /// <summary>Names unique to each test, because all tests share one database.</summary>
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];

    private string N(string name) => $"{name} {_run}";

    private ShieldDbContext NewContext() =>
        new(new DbContextOptionsBuilder<ShieldDbContext>().UseNpgsql(stack.PostgresConnectionString).Options);

    /// <summary>The job the test's merges belong to (its finalisation works through what they changed).</summary>
    private readonly Guid _job = Guid.NewGuid();

    /// <summary>Merges a chunk as its job's processing does: the job's claim on the text first, then its fragments.</summary>
    private async Task<ChunkMergeResult> MergeAsync(ChunkGraph chunk, Guid? job = null)
    {
        await using var db = NewContext();
        var index = BitConverter.ToInt32(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(chunk.ChunkId))) & int.MaxValue;
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            WITH stored AS (INSERT INTO chunks (id, content, created_at, updated_at) VALUES ({chunk.ChunkId}, '', now(), now()) ON CONFLICT DO NOTHING)
            INSERT INTO job_chunks (job_id, chunk_index, chunk_id, source_uri, source_type, metadata, created_at)
            VALUES ({job ?? _job}, {index}, {chunk.ChunkId}, 'test://graph', 'test', {"{}"}::jsonb, clock_timestamp()) ON CONFLICT DO NOTHING
            """);
        return await new KnowledgeGraphStore(db, TimeProvider.System).MergeAsync(job ?? _job, chunk, CancellationToken.None);
    }

    private async Task<FinalizationResult> FinalizeAsync(IDescriptionSummarizer summarizer, Guid? job = null)
    {
        await using var db = NewContext();
        var finalizer = new JobFinalizer(new KnowledgeGraphStore(db, TimeProvider.System), summarizer, new ScriptedEmbeddings(),
            new PostgresVectorStore(db, TimeProvider.System), Options.Create(new FinalizationOptions { BatchSize = 5 }),
            NullLogger<JobFinalizer>.Instance);
        return await finalizer.FinalizeAsync(job ?? _job, CancellationToken.None);
    }

    private async Task<(string Content, int Dimensions)?> EntityVectorAsync(string name)
    {
        await using var db = NewContext();
        var row = await db.Vectors.AsNoTracking().SingleOrDefaultAsync(v => v.Collection == VectorCollections.Entities && v.Id == Shield.Workers.Processing.VectorIds.Entity(name));
        return row is null ? null : (row.Content, row.Embedding.Length);
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
        await FinalizeAsync(new CountingSummarizer());

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
        await FinalizeAsync(new CountingSummarizer());
        var before = (await EntityAsync(ada), await EntityAsync(babbage), await RelationshipAsync(ada, babbage));

        var again = Guid.NewGuid();
        await MergeAsync(chunk, again);
        await MergeAsync(chunk, again);
        Assert.Equal(0, (await FinalizeAsync(new CountingSummarizer(), again)).Embedded);
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

        await FinalizeAsync(new CountingSummarizer());
        Assert.NotNull(await EntityVectorAsync(dropped));

        var again = Guid.NewGuid();
        await MergeAsync(new ChunkGraph("chunk-x" + _run, [Entity(kept, "artifact", "A general-purpose machine.")], []), again);

        // The next finalisation removes what no chunk mentions any more with its vector, and re-embeds what changed.
        var result = await FinalizeAsync(new CountingSummarizer(), again);
        Assert.Null(await EntityAsync(dropped));
        Assert.Null(await RelationshipAsync(kept, dropped));
        Assert.Equal("A general-purpose machine.", (await EntityAsync(kept))!.Description);
        Assert.Null(await EntityVectorAsync(dropped));
        Assert.Equal($"{kept}\nA general-purpose machine.", (await EntityVectorAsync(kept))!.Value.Content);
        Assert.Equal(2, result.Removed); // the dropped node and the edge
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
        await FinalizeAsync(new CountingSummarizer());

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
        await FinalizeAsync(new CountingSummarizer());
        Assert.Equal(GraphMergeRules.UnknownType, (await EntityAsync(b))!.EntityType);
        Assert.Equal("Hopper shaped COBOL.", (await EntityAsync(b))!.Description);

        var described = Guid.NewGuid();
        await MergeAsync(new ChunkGraph("chunk-u2" + _run, [Entity(b, "artifact", "A business language.")], []), described);
        await FinalizeAsync(new CountingSummarizer(), described);

        Assert.Equal("artifact", (await EntityAsync(b))!.EntityType);
        Assert.Equal("A business language.", (await EntityAsync(b))!.Description);
    }

    [Fact]
    public async Task A_node_whose_only_description_goes_is_described_by_its_edges_again()
    {
        var a = N("Konrad Zuse");
        var b = N("Z3");
        await MergeAsync(new ChunkGraph("chunk-e1" + _run, [Entity(a, "person", "Engineer.")],
            [new RelationMention(a, b, ["design"], "Zuse built the Z3.", 1.0)]));
        await MergeAsync(new ChunkGraph("chunk-e2" + _run, [Entity(b, "artifact", "An early computer.")], []));
        await FinalizeAsync(new CountingSummarizer());
        Assert.Equal(("artifact", "An early computer."), ((await EntityAsync(b))!.EntityType, (await EntityAsync(b))!.Description));

        // The chunk that described it now says nothing of it: it is its edges' again, as before anyone described it.
        var again = Guid.NewGuid();
        await MergeAsync(new ChunkGraph("chunk-e2" + _run, [], []), again);
        await FinalizeAsync(new CountingSummarizer(), again);

        var node = (await EntityAsync(b))!;
        Assert.Equal((GraphMergeRules.UnknownType, "Zuse built the Z3.", 1), (node.EntityType, node.Description, node.FragmentCount));
        Assert.Equal(["chunk-e1" + _run], node.SourceChunkIds);
    }

    [Fact]
    public async Task Concurrent_merges_of_the_same_entity_lose_no_update()
    {
        var hub = N("Royal Society");
        var merges = Enumerable.Range(0, 24).Select(i => Task.Run(() => MergeAsync(new ChunkGraph($"chunk-{i:D2}-{_run}",
            [Entity(hub, "organization", $"Fact number {i}."), Entity(N($"Fellow {i}"), "person", "A fellow.")],
            [new RelationMention(hub, N($"Fellow {i}"), ["membership"], $"Fellow {i} joined.", 1.0)]))));

        await Task.WhenAll(merges);

        // Every merge counted (no update lost), nothing summarised or published yet: merges never call the model.
        Assert.Null(await EntityAsync(hub));
        await using (var db = NewContext())
        {
            var state = await db.GraphElementStates.AsNoTracking().SingleAsync(s => s.SourceName == hub && s.TargetName == "");
            Assert.Equal((24, 24, 24), (state.Fragments, state.Descriptions, state.EndpointFragments));
        }

        var summarizer = new CountingSummarizer();
        await FinalizeAsync(summarizer);
        var node = (await EntityAsync(hub))!;
        Assert.Equal(24, node.SourceChunkIds.Length);
        Assert.Equal(24, node.FragmentCount);
        Assert.Equal(1, summarizer.Calls);
        Assert.True(node.Summarized, "24 fragments pass the summary threshold of 8");
    }

    [Fact]
    public async Task A_job_summarises_and_embeds_each_node_once_as_one_merge_of_all_its_fragments_would()
    {
        var name = N("Analytical Society");
        var summarizer = new CountingSummarizer();
        for (var i = 0; i < GraphMergeRules.SummaryFragmentThreshold; i++)
        {
            await MergeAsync(new ChunkGraph($"chunk-s{i}-{_run}", [Entity(name, "organization", $"Detail {i}.")], []));
        }
        Assert.Equal(0, summarizer.Calls);
        Assert.Null(await EntityVectorAsync(name));

        var result = await FinalizeAsync(summarizer);

        // One summary of all eight fragments, not one per chunk past the threshold; one vector, of that summary.
        Assert.Equal(1, summarizer.Calls);
        Assert.Equal(1, result.Summarised);
        var expected = $"summary of {name} from 8 fragments";
        Assert.Equal(expected, (await EntityAsync(name))!.Description);
        Assert.Equal(($"{name}\n{expected}", ScriptedOllamaServer.EmbeddingDimensions), (await EntityVectorAsync(name))!.Value);

        // A second finalisation (a repeated delivery) and reprocessing a chunk pay for nothing again.
        Assert.Equal(0, (await FinalizeAsync(summarizer)).Elements);
        var again = Guid.NewGuid();
        await MergeAsync(new ChunkGraph($"chunk-s0-{_run}", [Entity(name, "organization", "Detail 0.")], []), again);
        Assert.Equal(0, (await FinalizeAsync(summarizer, again)).Embedded);
        Assert.Equal(1, summarizer.Calls);
        Assert.Equal(expected, (await EntityAsync(name))!.Description);
    }

    [Fact]
    public async Task A_summary_is_kept_and_what_later_jobs_add_is_appended_until_one_of_them_brings_enough_for_another()
    {
        var name = N("Lunar Society");
        var summarizer = new CountingSummarizer();
        for (var i = 0; i < 9; i++)
        {
            await MergeAsync(new ChunkGraph($"chunk-l{i:D2}-{_run}", [Entity(name, "organization", $"Detail {i}.")], []));
        }
        await FinalizeAsync(summarizer);
        Assert.Equal(1, summarizer.Calls);

        // LightRAG keeps the summary as one description and appends the next document's: no model call.
        var later = Guid.NewGuid();
        await MergeAsync(new ChunkGraph($"chunk-l09-{_run}", [Entity(name, "organization", "Detail 9.")], []), later);
        await FinalizeAsync(summarizer, later);
        Assert.Equal(1, summarizer.Calls);
        Assert.Equal($"summary of {name} from 9 fragments{GraphMergeRules.Separator}Detail 9.", (await EntityAsync(name))!.Description);

        // Seven more from a third job: 9 items, but no job brought 8, so what earlier jobs said is not paid for again.
        var small = Guid.NewGuid();
        for (var i = 10; i < 17; i++)
        {
            await MergeAsync(new ChunkGraph($"chunk-l{i:D2}-{_run}", [Entity(name, "organization", $"Detail {i}.")], []), small);
        }
        await FinalizeAsync(summarizer, small);
        Assert.Equal(1, summarizer.Calls);
        Assert.Equal(9, (await EntityAsync(name))!.Description.Split(GraphMergeRules.Separator).Length);

        // A job that brings 8 pays for one summary: of the last summary and its own eight (what the others left joined stays).
        var big = Guid.NewGuid();
        for (var i = 17; i < 25; i++)
        {
            await MergeAsync(new ChunkGraph($"chunk-l{i:D2}-{_run}", [Entity(name, "organization", $"Detail {i}.")], []), big);
        }
        await FinalizeAsync(summarizer, big);
        Assert.Equal(2, summarizer.Calls);
        var afterBig = (await EntityAsync(name))!.Description.Split(GraphMergeRules.Separator);
        Assert.Equal([$"summary of {name} from 9 fragments", "Detail 9.", .. Enumerable.Range(10, 7).Select(i => $"Detail {i}.")], afterBig);

        // Removing a fragment a summary covers invalidates the summary: the next finalisation replays the jobs that hold
        // what is left, in their order: two summaries (the first job's 8 remaining details; the last summary with the
        // fourth job's 8), the second and third jobs' details joined after them.
        var removal = Guid.NewGuid();
        await MergeAsync(new ChunkGraph($"chunk-l00-{_run}", [], []), removal);
        await FinalizeAsync(summarizer, removal);
        Assert.Equal(4, summarizer.Calls);
        Assert.Equal(24, (await EntityAsync(name))!.FragmentCount);
        var rebuilt = (await EntityAsync(name))!.Description.Split(GraphMergeRules.Separator);
        Assert.Equal([$"summary of {name} from 9 fragments", "Detail 9.", .. Enumerable.Range(10, 7).Select(i => $"Detail {i}.")], rebuilt);
    }

    [Fact]
    public async Task Two_jobs_finalising_the_same_node_at_once_leave_it_as_all_its_fragments_make_it()
    {
        var name = N("Philosophical Society");
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        for (var i = 0; i < 6; i++)
        {
            await MergeAsync(new ChunkGraph($"chunk-p{i}-{_run}", [Entity(name, "organization", $"Fact {i}.")], []), i % 2 == 0 ? first : second);
        }

        await Task.WhenAll(FinalizeAsync(new CountingSummarizer(), first), FinalizeAsync(new CountingSummarizer(), second));

        var expected = string.Join(GraphMergeRules.Separator, Enumerable.Range(0, 6).Select(i => $"Fact {i}."));
        Assert.Equal(expected, (await EntityAsync(name))!.Description);
        Assert.Equal($"{name}\n{expected}", (await EntityVectorAsync(name))!.Value.Content);
    }

    [Fact]
    public async Task A_summary_a_job_owes_is_computed_again_when_another_job_changes_the_node_while_it_is_being_written()
    {
        var name = N("Statistical Society");
        var (first, owing, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        for (var i = 0; i < 16; i++)
        {
            await MergeAsync(new ChunkGraph($"chunk-o{i:D2}-{_run}", [Entity(name, "organization", $"Fact {i}.")], []), i < 8 ? first : owing);
            if (i == 7) await FinalizeAsync(new CountingSummarizer(), first);
        }

        // While the owing job's summary is being made, another job's chunk adds a description: what it computed is
        // stale. That job's own finalisation would not summarise the owing job's 8 (not its own), so the owing job
        // computes the node again instead of leaving it.
        var summarizer = new CountingSummarizer(onFirstCall: () => MergeAsync(
            new ChunkGraph($"chunk-o99-{_run}", [Entity(name, "organization", "A late fact.")], []), other));
        var result = await FinalizeAsync(summarizer, owing);
        await FinalizeAsync(new CountingSummarizer(), other);

        Assert.Equal(2, summarizer.Calls);
        Assert.Equal(1, result.Summarised);
        var expected = $"summary of {name} from 9 fragments{GraphMergeRules.Separator}A late fact.";
        Assert.Equal(expected, (await EntityAsync(name))!.Description);
        Assert.Equal($"{name}\n{expected}", (await EntityVectorAsync(name))!.Value.Content);
    }

    /// <summary>Answers "summary of … from N fragments" and counts the calls; <paramref name="onFirstCall"/> runs inside the first.</summary>
    private sealed class CountingSummarizer(Func<Task>? onFirstCall = null) : IDescriptionSummarizer
    {
        private int _calls;
        public int Calls => _calls;
        public string Description => "test";

        public async Task<string> SummarizeAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 1 && onFirstCall is not null)
            {
                await onFirstCall();
            }
            return $"summary of {subject} from {fragments.Count} fragments";
        }
    }

    /// <summary>The scripted model server's deterministic embeddings, called in process.</summary>
    private sealed class ScriptedEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(ScriptedOllamaServer.Embed(v)))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
