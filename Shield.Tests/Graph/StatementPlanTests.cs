using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Knowledge;
using Shield.Knowledge.ModelCache;
using Shield.Tests.Infrastructure;
using Shield.Workers.Documents;
using Shield.Workers.Extraction;
using Shield.Workers.Finalization;
using Shield.Workers.Graph;
using Shield.Workers.Processing;

namespace Shield.Tests.Graph;

/// <summary>
/// Every statement the chunk, finalisation, deletion and model-cache paths run, as PostgreSQL plans and runs it, over
/// a knowledge base in a database of its own where one entity is named by each of thousands of chunks and another by
/// half of them. PostgreSQL's own <c>auto_explain</c> reports each statement's executed plan (with the rows every node
/// read) to the client, for the real statements with their real parameters. Sequential scans, and the hash and merge
/// joins that read a whole side, are priced out (<c>enable_seqscan</c>, <c>enable_hashjoin</c>, <c>enable_mergejoin</c>
/// off), so a statement still planned with a sequential scan, or with an index scan that has no condition and no limit
/// above it, has no index to read just what it needs, whatever the table's size: a small test table would otherwise
/// be read whole because that is cheaper there.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class StatementPlanTests(ShieldStackFixture stack) : IAsyncLifetime
{
    /// <summary>The tables whose every read must go through an index.</summary>
    private static readonly HashSet<string> Watched =
    [
        "graph_entities", "graph_relationships", "graph_entity_fragments", "graph_relationship_fragments", "graph_element_states",
        "graph_descriptions", "graph_entity_types", "graph_relationship_keywords", "chunks", "job_chunks", "job_graph_changes",
        "model_cache", "vectors",
    ];

    private const string Hub = "Hub Entity";
    private const string Half = "Half Entity";
    private const int Chunks = 2000;
    private const int ChunksPerJob = 40;

    /// <summary>The knowledge base both tests read, built once (it takes a while) in a database of its own.</summary>
    private static readonly SemaphoreSlim Building = new(1, 1);
    private static string? _built;

    private string _connectionString = "";
    private readonly PlanRecorder _plans = new();
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await Building.WaitAsync();
        try
        {
            _built ??= await BuildKnowledgeBaseAsync(stack.PostgresConnectionString);
        }
        finally
        {
            Building.Release();
        }
        _connectionString = _built;
        var services = new ServiceCollection();
        services.AddScoped(_ => _plans.Context(_connectionString));
        services.AddSingleton(TimeProvider.System);
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Every_statement_of_the_chunk_finalisation_deletion_and_cache_paths_reads_through_an_index()
    {
        var job = Guid.NewGuid();
        var chunk = Chunk(Chunks + 1, job);
        var extraction = Extraction(Chunks + 1);

        _plans.Phase = "chunk";
        await ProcessAsync(chunk, extraction);
        _plans.Phase = "reused chunk";
        var again = Guid.NewGuid();
        await ProcessAsync(chunk with { JobId = again, ChunkIndex = 0 }, extraction);
        _plans.Phase = "finalisation";
        await FinalizeAsync(job);
        await FinalizeAsync(again);

        // A chunk that now says something else: fragments removed, its elements rebuilt by the next finalisation.
        _plans.Phase = "changed chunk";
        var changed = Guid.NewGuid();
        await using (var db = _plans.Context(_connectionString))
        {
            await new KnowledgeGraphStore(db, TimeProvider.System).MergeAsync(changed, new ChunkGraph(ChunkId(7),
                [new EntityMention(Hub, "organization", "The hub, said otherwise.")], []), CancellationToken.None);
        }
        _plans.Phase = "rebuild";
        await FinalizeAsync(changed);

        _plans.Phase = "deletion";
        var deletion = Guid.NewGuid();
        await using (var scope = _services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
            var graph = new KnowledgeGraphStore(db, TimeProvider.System);
            await new DocumentDeleter(db, graph, new PostgresVectorStore(db, TimeProvider.System), NullLogger<DocumentDeleter>.Instance)
                .DeleteAsync(deletion, [JobOf(3)], CancellationToken.None);
            await Finalizer(db).RebuildAsync(deletion, CancellationToken.None);
        }

        _plans.Phase = "model cache";
        var cache = new PostgresDistributedCache(_services.GetRequiredService<IServiceScopeFactory>(),
            Options.Create(new ModelCacheOptions()), TimeProvider.System);
        await cache.SetAsync("plan-test-key", new byte[512], new Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions());
        Assert.NotNull(await cache.GetAsync("plan-test-key"));
        Assert.NotNull(await cache.GetAsync("cached-0"));   // last used long ago: refreshed
        Assert.Null(await cache.GetAsync("never-cached"));
        var trimmed = await new ModelCacheTrimmer(_services.GetRequiredService<IServiceScopeFactory>(),
            Options.Create(new ModelCacheOptions { MaxSizeMegabytes = 1 }), TimeProvider.System, NullLogger<ModelCacheTrimmer>.Instance).TrimAsync(CancellationToken.None);
        Assert.True(trimmed > 0, "the cache holds more than its 1 MB bound, so the oldest entries go");

        var plans = _plans.Plans.ToList();
        foreach (var phase in new[] { "chunk", "reused chunk", "finalisation", "changed chunk", "rebuild", "deletion", "model cache" })
        {
            Assert.Contains(plans, p => p.Phase == phase);
        }
        var unindexed = plans.SelectMany(p => p.Scans.Where(s => Watched.Contains(s.Table) && !s.ThroughAnIndex)
            .Select(s => $"[{p.Phase}] {s.Node} on {s.Table}: {p.Query.ReplaceLineEndings(" ")}")).Distinct().ToList();
        Assert.True(unindexed.Count == 0, "statements that read a table without an index:\n" + string.Join("\n", unindexed));
    }

    [Fact]
    public async Task A_chunk_naming_an_entity_with_thousands_of_fragments_reads_as_few_rows_as_one_naming_a_new_entity()
    {
        Assert.True(await ScalarAsync($"SELECT count(*) FROM graph_entity_fragments WHERE entity_name = '{Hub}'") > Chunks - 2 * ChunksPerJob);

        _plans.Phase = "hub merge";
        var hubJob = Guid.NewGuid();
        await MergeAsync(hubJob, Chunks + 10, Hub, Half);
        _plans.Phase = "new merge";
        var newJob = Guid.NewGuid();
        await MergeAsync(newJob, Chunks + 11, "Fresh Entity", "Other Fresh Entity");
        _plans.Phase = "hub finalisation";
        await FinalizeAsync(hubJob);

        var hubRows = _plans.RowsRead("hub merge");
        var newRows = _plans.RowsRead("new merge");
        // The chunk's own fragments (none before) and nothing of the history of the entities it names.
        Assert.Equal(newRows, hubRows);
        Assert.True(hubRows <= 10, $"a merge read {hubRows} rows:\n{_plans.Heaviest("hub merge")}");
        // The job's finalisation reads the nodes' first 200 source chunks and their state, not their 2,000 fragments.
        var finalisationRows = _plans.RowsRead("hub finalisation");
        Assert.True(finalisationRows < Chunks / 2, $"the finalisation of one chunk's job read {finalisationRows} rows:\n{_plans.Scans("hub finalisation")}");
        Assert.Equal($"summary of {Hub}", (await EntityDescriptionAsync(Hub))[..$"summary of {Hub}".Length]);
    }

    /// <summary>
    /// The knowledge base, built without recording: <see cref="Chunks"/> chunks in jobs of <see cref="ChunksPerJob"/>,
    /// each naming the hub, every other one the half entity, and one of 200 people and 50 places, with edges between
    /// them; each job finalised; 1.5 MB of model-cache entries, the oldest used long ago. Its database goes with the
    /// stack's PostgreSQL at the end of the run.
    /// </summary>
    private static async Task<string> BuildKnowledgeBaseAsync(string server)
    {
        var database = "plans_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        ShieldDbContext PlainContext() => new(new DbContextOptionsBuilder<ShieldDbContext>().UseNpgsql(connectionString).Options);
        await using (var db = PlainContext())
        {
            await db.Database.MigrateAsync();
        }
        for (var first = 0; first < Chunks; first += ChunksPerJob)
        {
            var job = JobOf(first / ChunksPerJob);
            await Parallel.ForEachAsync(Enumerable.Range(first, ChunksPerJob), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            {
                await using var db = PlainContext();
                await ClaimAsync(db, job, i);
                var extraction = Extraction(i);
                await new KnowledgeGraphStore(db, TimeProvider.System).MergeAsync(job, new ChunkGraph(ChunkId(i),
                    [.. extraction.Entities.Select(e => new EntityMention(e.Name, e.Type, e.Description))],
                    [.. extraction.Relations.Select(r => new RelationMention(r.Source, r.Target, r.Keywords, r.Description, r.Weight))]), CancellationToken.None);
            });
            await using (var db = PlainContext())
            {
                await Finalizer(db).FinalizeAsync(job, CancellationToken.None);
            }
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var fill = new NpgsqlCommand("""
            INSERT INTO model_cache (key, value, created_at, last_used_at)
            SELECT 'cached-' || i, decode(repeat(md5(i::text), 64), 'hex'), now(), now() - (3000 - i) * interval '1 minute'
            FROM generate_series(0, 1499) AS i
            """, connection))
        {
            await fill.ExecuteNonQueryAsync();
        }
        await using var analyze = new NpgsqlCommand("ANALYZE", connection);
        await analyze.ExecuteNonQueryAsync();
        return connectionString;
    }

    private static string ChunkId(int i) => $"chunk-{i:D6}";

    private static Guid JobOf(int n) => new($"00000000-0000-7000-8000-{n:D12}");

    private static ChunkMessage Chunk(int i, Guid job) => new(job, i, ChunkId(i), $"Text of chunk {i}.", $"plans://{i}", "test", "{}");

    /// <summary>What chunk <paramref name="i"/> says: the hub, the half entity (even chunks), a person and a place, and the edges between them.</summary>
    private static ExtractionResult Extraction(int i)
    {
        var (person, place) = ($"Person {i % 200}", $"Place {i % 50}");
        List<ExtractedEntity> entities = [new(Hub, "organization", $"The hub in chunk {i}."), new(person, "person", $"{person} in chunk {i}."),
            new(place, "location", $"{place} in chunk {i}.")];
        List<ExtractedRelation> relations = [new(Hub, person, ["membership"], $"{person} belongs to the hub ({i})."),
            new(person, place, ["residence"], $"{person} lives in {place} ({i}).")];
        if (i % 2 == 0)
        {
            entities.Add(new(Half, "concept", $"The half entity in chunk {i}."));
            relations.Add(new(Half, Hub, ["part"], $"The half entity is part of the hub ({i})."));
        }
        return new ExtractionResult(entities, relations);
    }

    private async Task MergeAsync(Guid job, int i, string first, string second)
    {
        await using var db = _plans.Context(_connectionString);
        await ClaimAsync(db, job, i);
        await new KnowledgeGraphStore(db, TimeProvider.System).MergeAsync(job, new ChunkGraph(ChunkId(i),
            [new EntityMention(first, "organization", $"{first} in chunk {i}."), new EntityMention(second, "concept", $"{second} in chunk {i}.")],
            [new RelationMention(first, second, ["part"], $"{second} is part of {first} ({i}).", 1.0)]), CancellationToken.None);
    }

    private static async Task ClaimAsync(ShieldDbContext db, Guid job, int i)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            WITH stored AS (INSERT INTO chunks (id, content, created_at, updated_at) VALUES ({ChunkId(i)}, {$"Text of chunk {i}."}, now(), now()) ON CONFLICT DO NOTHING)
            INSERT INTO job_chunks (job_id, chunk_index, chunk_id, source_uri, source_type, metadata, created_at)
            VALUES ({job}, {i}, {ChunkId(i)}, {$"plans://{i}"}, 'test', {"{}"}::jsonb, clock_timestamp()) ON CONFLICT DO NOTHING
            """);
    }

    private async Task ProcessAsync(ChunkMessage chunk, ExtractionResult extraction)
    {
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
        var extractor = new FixedExtractor(extraction);
        var embeddings = new HashedEmbeddings();
        await using var vectors = new ServiceCollection().AddScoped<IVectorStore>(_ => new PostgresVectorStore(_plans.Context(_connectionString), TimeProvider.System))
            .BuildServiceProvider();
        await new LightRagChunkProcessor(db, extractor, new KnowledgeGraphStore(db, TimeProvider.System), embeddings,
                new ChunkVectorWriter(vectors.GetRequiredService<IServiceScopeFactory>()), new ExtractionSettings(extractor, embeddings), TimeProvider.System,
                NullLogger<LightRagChunkProcessor>.Instance)
            .ProcessAsync(chunk, CancellationToken.None);
    }

    private async Task FinalizeAsync(Guid job)
    {
        await using var db = _plans.Context(_connectionString);
        await Finalizer(db).FinalizeAsync(job, CancellationToken.None);
    }

    private static JobFinalizer Finalizer(ShieldDbContext db) =>
        new(new KnowledgeGraphStore(db, TimeProvider.System), new NamingSummarizer(), new HashedEmbeddings(),
            new PostgresVectorStore(db, TimeProvider.System), Options.Create(new FinalizationOptions()), NullLogger<JobFinalizer>.Instance);

    private ShieldDbContext PlainContext() => new(new DbContextOptionsBuilder<ShieldDbContext>().UseNpgsql(_connectionString).Options);

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private async Task<string> EntityDescriptionAsync(string name)
    {
        await using var db = PlainContext();
        return (await db.GraphEntities.AsNoTracking().SingleAsync(e => e.Name == name)).Description;
    }

    /// <summary>One table read of an executed plan: how many rows it read (returned or filtered out), and whether through an index.</summary>
    private sealed record Scan(string Node, string Table, string? Index, bool ThroughAnIndex, double RowsRead);

    private sealed record RecordedPlan(string Phase, string Query, IReadOnlyList<Scan> Scans);

    /// <summary>
    /// Contexts whose connections ask PostgreSQL's <c>auto_explain</c> for every statement's executed plan as a notice,
    /// with sequential scans priced out, and the plans they got, by the test's current phase.
    /// </summary>
    private sealed class PlanRecorder
    {
        public string Phase { get; set; } = "";

        public ConcurrentQueue<RecordedPlan> Plans { get; } = new();

        public double RowsRead(string phase) =>
            Plans.Where(p => p.Phase == phase).SelectMany(p => p.Scans).Where(s => Watched.Contains(s.Table)).Sum(s => s.RowsRead);

        /// <summary>The statements of <paramref name="phase"/> that read the most rows, for a failure's message.</summary>
        public string Heaviest(string phase) => string.Join("\n", Plans.Where(p => p.Phase == phase)
            .Select(p => (Rows: p.Scans.Where(s => Watched.Contains(s.Table)).Sum(s => s.RowsRead), p.Query))
            .OrderByDescending(p => p.Rows).Take(5).Select(p => $"{p.Rows} rows: {p.Query.ReplaceLineEndings(" ")[..Math.Min(300, p.Query.Length)]}"));

        /// <summary>Every scan of <paramref name="phase"/>'s statements, for a failure's message.</summary>
        public string Scans(string phase) => string.Join("\n", Plans.Where(p => p.Phase == phase)
            .SelectMany(p => p.Scans.Select(s => $"{s.RowsRead} rows, {s.Node} {s.Table} {s.Index}: {p.Query.ReplaceLineEndings(" ")[..Math.Min(120, p.Query.Length)]}")));

        public ShieldDbContext Context(string connectionString)
        {
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString)
            {
                Options = "-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_analyze=on "
                    + "-c auto_explain.log_format=json -c auto_explain.log_level=notice -c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off",
                Pooling = false,
            }.ConnectionString);
            connection.Notice += (_, e) => Record(e.Notice.MessageText);
            return new ShieldDbContext(new DbContextOptionsBuilder<ShieldDbContext>().UseNpgsql(connection, contextOwnsConnection: true).Options);
        }

        private void Record(string message)
        {
            var start = message.IndexOf('{');
            if (!message.StartsWith("duration:", StringComparison.Ordinal) || start < 0) return;
            using var plan = JsonDocument.Parse(message[start..]);
            var scans = new List<Scan>();
            Walk(plan.RootElement.GetProperty("Plan"), underLimit: false, scans);
            Plans.Enqueue(new RecordedPlan(Phase, plan.RootElement.GetProperty("Query Text").GetString() ?? "", scans));
        }

        private static void Walk(JsonElement node, bool underLimit, List<Scan> scans)
        {
            var type = node.GetProperty("Node Type").GetString()!;
            if (node.TryGetProperty("Relation Name", out var relation) && type is not ("ModifyTable"))
            {
                var rows = Number(node, "Actual Rows") + Number(node, "Rows Removed by Filter") + Number(node, "Rows Removed by Index Recheck");
                var throughIndex = type switch
                {
                    "Index Scan" or "Index Only Scan" => node.TryGetProperty("Index Cond", out _) || underLimit,
                    "Bitmap Heap Scan" => true,
                    _ => false,
                };
                scans.Add(new Scan(type, relation.GetString()!, node.TryGetProperty("Index Name", out var index) ? index.GetString() : null,
                    throughIndex, rows * Math.Max(1, Number(node, "Actual Loops"))));
            }
            if (!node.TryGetProperty("Plans", out var children)) return;
            foreach (var child in children.EnumerateArray())
            {
                Walk(child, underLimit || type == "Limit", scans);
            }
        }

        private static double Number(JsonElement node, string name) => node.TryGetProperty(name, out var value) ? value.GetDouble() : 0;
    }

    private sealed class FixedExtractor(ExtractionResult result) : IEntityExtractor
    {
        public string Description => "fixed";
        public string Settings => "fixed v1";
        public Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken) => Task.FromResult(result);
    }

    private sealed class NamingSummarizer : IDescriptionSummarizer
    {
        public string Description => "test";
        public Task<string> SummarizeAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken) =>
            Task.FromResult($"summary of {subject} from {fragments.Count} descriptions");
    }

    /// <summary>Eight dimensions from a hash of the text: deterministic, and enough for the vector rows to be written.</summary>
    private sealed class HashedEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v =>
                new Embedding<float>(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(v)).Take(8).Select(b => b / 255f).ToArray()))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
