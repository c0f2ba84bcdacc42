using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Tests.Infrastructure;
using Shield.Workers.Documents;
using Shield.Workers.Finalization;
using Shield.Workers.Processing;

namespace Shield.Tests.Graph;

/// <summary>
/// Deleting a document on real PostgreSQL, through the Workers' own pipeline (the embedded defaults: the offline
/// extractor, extractive summaries, all-MiniLM-L6-v2, the PostgreSQL vector store), each knowledge base in a database
/// of its own: after deleting B from a knowledge base of A and B, the graph and the vectors are those of a knowledge
/// base that only ever ingested A.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class DocumentDeletionTests(ShieldStackFixture stack)
{
    /// <summary>A's chunks: the engine in nine (so its description is summarised), and a chunk B contains too.</summary>
    private static readonly string[] DocumentA =
    [
        .. Enumerable.Range(1, 9).Select(i => $"Ada Lovelace studied the Analytical Engine in note number {i} of her translation."),
        "Charles Babbage designed the Difference Engine in London before the Analytical Engine.",
        "The Royal Society received a letter from Charles Babbage about the engines.",
    ];

    /// <summary>B's chunks: more about the engine and Ada, people of its own, and A's chunk about the Royal Society.</summary>
    private static readonly string[] DocumentB =
    [
        "Ada Lovelace wrote to Michael Faraday about the Analytical Engine and its cards.",
        "Michael Faraday lectured at the Royal Institution on electricity and magnetism.",
        "Mary Somerville introduced Ada Lovelace to Charles Babbage at a party in London.",
        "The Royal Society received a letter from Charles Babbage about the engines.",
    ];

    private static readonly Guid JobA = Guid.Parse("0193f000-0000-7000-8000-00000000000a");
    private static readonly Guid JobB = Guid.Parse("0193f000-0000-7000-8000-00000000000b");
    private static readonly Guid Deletion = Guid.Parse("0193f000-0000-7000-8000-0000000000de");

    [Fact]
    public async Task After_deleting_B_the_graph_and_vectors_are_those_of_a_knowledge_base_that_only_ever_had_A()
    {
        await using var withBoth = await KnowledgeBase.CreateAsync(stack);
        await withBoth.IngestAsync(JobA, "a", DocumentA);
        await withBoth.IngestAsync(JobB, "b", DocumentB);
        var before = await withBoth.SnapshotAsync();

        var result = await withBoth.DeleteAsync(Deletion, [JobB]);
        await using var onlyA = await KnowledgeBase.CreateAsync(stack);
        await onlyA.IngestAsync(JobA, "a", DocumentA);

        // B's own chunks went; the chunk A contains too stayed.
        Assert.Equal((DocumentB.Length, DocumentB.Length - 1), (result.ChunksReleased, result.ChunksRemoved));
        var expected = await onlyA.SnapshotAsync();
        Assert.NotEqual(expected.Graph, before.Graph);
        Assert.Equal(expected.Graph, (await withBoth.SnapshotAsync()).Graph);
        Assert.Equal(expected.Vectors, (await withBoth.SnapshotAsync()).Vectors);
        await AssertSameEmbeddingsAsync(onlyA, withBoth);

        // Deleting again changes nothing.
        await withBoth.DeleteAsync(Deletion, [JobB]);
        Assert.Equal(expected.Graph, (await withBoth.SnapshotAsync()).Graph);
    }

    [Fact]
    public async Task Deleting_the_only_document_leaves_an_empty_knowledge_base()
    {
        await using var kb = await KnowledgeBase.CreateAsync(stack);
        await kb.IngestAsync(JobA, "a", DocumentA);

        await kb.DeleteAsync(Deletion, [JobA]);

        Assert.Equal(0, await kb.ScalarAsync("SELECT (SELECT count(*) FROM graph_entities) + (SELECT count(*) FROM graph_relationships) "
            + "+ (SELECT count(*) FROM graph_entity_fragments) + (SELECT count(*) FROM graph_relationship_fragments) "
            + "+ (SELECT count(*) FROM chunks) + (SELECT count(*) FROM vectors) + (SELECT count(*) FROM job_graph_changes) "
            + "+ (SELECT count(*) FROM graph_element_states) + (SELECT count(*) FROM graph_descriptions) + (SELECT count(*) FROM graph_entity_types) "
            + "+ (SELECT count(*) FROM graph_relationship_keywords)"));
    }

    /// <summary>The same vectors up to the last bits of floating point (batches of other sizes round differently).</summary>
    private static async Task AssertSameEmbeddingsAsync(KnowledgeBase expected, KnowledgeBase actual)
    {
        var (want, got) = (await expected.EmbeddingsAsync(), await actual.EmbeddingsAsync());
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        foreach (var (key, vector) in want)
        {
            var dot = vector.Zip(got[key], (a, b) => (double)a * b).Sum();
            Assert.True(dot > 0.9999, $"{key}: cosine {dot}");
        }
    }

    /// <summary>A knowledge base in a database of its own, fed through the Workers' chunk processor and finalisation.</summary>
    private sealed class KnowledgeBase : IAsyncDisposable
    {
        private readonly IHost _host;
        private readonly string _database;
        private readonly string _admin;

        private KnowledgeBase(IHost host, string database, string admin) => (_host, _database, _admin) = (host, database, admin);

        public string ConnectionString { get; private init; } = "";

        public static async Task<KnowledgeBase> CreateAsync(ShieldStackFixture stack)
        {
            var database = "kb_" + Guid.NewGuid().ToString("N")[..12];
            await using (var admin = new NpgsqlConnection(stack.PostgresConnectionString))
            {
                await admin.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
                await create.ExecuteNonQueryAsync();
            }
            var connectionString = new NpgsqlConnectionStringBuilder(stack.PostgresConnectionString) { Database = database }.ConnectionString;
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:shield"] = connectionString,
                ["Logging:LogLevel:Default"] = "Warning",
            });
            builder.AddNpgsqlDbContext<ShieldDbContext>("shield");
            builder.AddChunkProcessing();
            var host = builder.Build();
            await host.Services.MigrateShieldDatabaseAsync();
            return new KnowledgeBase(host, database, stack.PostgresConnectionString) { ConnectionString = connectionString };
        }

        public async Task IngestAsync(Guid jobId, string document, IReadOnlyList<string> chunks)
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                await using var scope = _host.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<IChunkProcessor>().ProcessAsync(new ChunkMessage(jobId, i,
                    ChunkIds.ForContent(chunks[i]), chunks[i], $"docs://{document}#chunk-{i}", "test", "{}"), CancellationToken.None);
            }
            await FinalizeAsync(jobId);
        }

        public async Task<DeletionResult> DeleteAsync(Guid deletionJobId, IReadOnlyList<Guid> documentJobs)
        {
            DeletionResult result;
            await using (var scope = _host.Services.CreateAsyncScope())
            {
                result = await scope.ServiceProvider.GetRequiredService<DocumentDeleter>().DeleteAsync(deletionJobId, documentJobs, CancellationToken.None);
            }
            await using (var scope = _host.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<JobFinalizer>().RebuildAsync(deletionJobId, CancellationToken.None);
            }
            return result;
        }

        private async Task FinalizeAsync(Guid jobId)
        {
            await using var scope = _host.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<JobFinalizer>().FinalizeAsync(jobId, CancellationToken.None);
        }

        /// <summary>Every graph table and every vector's id, text and payload, in one canonical text each.</summary>
        public async Task<(string Graph, string Vectors)> SnapshotAsync() =>
            (await RowsAsync(
                "SELECT name, entity_type, description, array_to_string(source_chunk_ids, ','), fragment_count, summarized, coalesce(summary, '') FROM graph_entities ORDER BY name",
                "SELECT source_name, target_name, array_to_string(keywords, ','), description, weight, array_to_string(source_chunk_ids, ','), fragment_count, summarized, coalesce(summary, '') FROM graph_relationships ORDER BY 1, 2",
                "SELECT entity_name, chunk_id, entity_type, description FROM graph_entity_fragments ORDER BY 1, 2",
                "SELECT source_name, target_name, chunk_id, description FROM graph_relationship_fragments ORDER BY 1, 2, 3",
                // The working state the next merges add to (its version only counts changes, so it is left out).
                "SELECT source_name, target_name, fragments, endpoint_fragments, descriptions, endpoint_descriptions, weight, needs_replay FROM graph_element_states ORDER BY 1, 2",
                "SELECT source_name, target_name, kind, description, fragments, first_chunk_id, covered FROM graph_descriptions ORDER BY 1, 2, 3, 4",
                "SELECT entity_name, entity_type, fragments, first_chunk_id FROM graph_entity_types ORDER BY 1, 2",
                "SELECT source_name, target_name, keyword, fragments FROM graph_relationship_keywords ORDER BY 1, 2, 3",
                "SELECT id, content, coalesce(extraction_settings, '') FROM chunks ORDER BY id",
                "SELECT count(*) FROM job_graph_changes"),
             await RowsAsync("SELECT collection, id, content, payload::text FROM vectors ORDER BY collection, id"));

        public async Task<Dictionary<string, float[]>> EmbeddingsAsync()
        {
            await using var db = _host.Services.CreateAsyncScope();
            return await db.ServiceProvider.GetRequiredService<ShieldDbContext>().Vectors.AsNoTracking()
                .ToDictionaryAsync(v => v.Collection + "/" + v.Id, v => v.Embedding);
        }

        public async Task<long> ScalarAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return Convert.ToInt64(await command.ExecuteScalarAsync());
        }

        private async Task<string> RowsAsync(params string[] queries)
        {
            var text = new StringBuilder();
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            foreach (var sql in queries)
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    for (var i = 0; i < reader.FieldCount; i++) text.Append(reader.GetValue(i)).Append(" | ");
                    text.AppendLine();
                }
                text.AppendLine("--");
            }
            return text.ToString();
        }

        public async ValueTask DisposeAsync()
        {
            _host.Dispose();
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(_admin);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
