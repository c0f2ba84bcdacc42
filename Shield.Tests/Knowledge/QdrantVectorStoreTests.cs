using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using Shield.Knowledge;
using Shield.Knowledge.Qdrant;
using Shield.Tests.Models;

namespace Shield.Tests.Knowledge;

/// <summary>
/// The Qdrant path as far as it goes without a Qdrant server (none runs on these machines): the real
/// <see cref="QdrantClient"/> over <see cref="InMemoryQdrant"/>, checking the collection setup it asks for, the
/// point ids and payloads it writes, and that searches and deletes come back as Shield expects.
/// </summary>
public sealed class QdrantVectorStoreTests
{
    private sealed class HashedWordEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public int Calls;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(ScriptedOllamaServer.Embed(v)))));
        }

        // No dimension advertised, as with Ollama: the collections learn it from a probe embedding.
        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("ollama", null, "nomic-embed-text:latest") : null;

        public void Dispose()
        {
        }
    }

    private readonly InMemoryQdrant _server = new();
    private readonly HashedWordEmbeddings _embeddings = new();

    private QdrantVectorStore Store(string workspace = "default")
    {
        var client = new QdrantClient(new QdrantGrpcClient(_server));
        var collections = new QdrantCollections(client, _embeddings, NullLogger<QdrantCollections>.Instance);
        return new QdrantVectorStore(client, collections, Options.Create(new QdrantOptions { Workspace = workspace }));
    }

    private VectorPoint Point(string id, string text, object payload) =>
        new(id, ScriptedOllamaServer.Embed(text), text, JsonSerializer.Serialize(payload));

    [Fact]
    public async Task The_first_write_creates_LightRAGs_three_collections_for_the_models_dimension_with_a_tenant_index()
    {
        await Store().UpsertAsync(VectorCollections.Chunks, [Point("chunk-1", "ada wrote notes", new { full_doc_id = "doc" })], default);

        Assert.Equal(
            new[] { "lightrag_vdb_chunks_nomic_embed_text_latest_64d", "lightrag_vdb_entities_nomic_embed_text_latest_64d", "lightrag_vdb_relationships_nomic_embed_text_latest_64d" },
            _server.Collections.Keys.Order());
        Assert.All(_server.Collections.Values, c =>
        {
            Assert.Equal(64ul, c.VectorsConfig.Params.Size);
            Assert.Equal(Distance.Cosine, c.VectorsConfig.Params.Distance);
        });
        var indexes = _server.Requests.Where(r => r.Method == "/qdrant.Points/CreateFieldIndex").Select(r => (CreateFieldIndexCollection)r.Request).ToList();
        Assert.Equal(3, indexes.Count);
        Assert.All(indexes, i =>
        {
            Assert.Equal("workspace_id", i.FieldName);
            Assert.Equal(FieldType.Keyword, i.FieldType);
            Assert.True(i.FieldIndexParams.KeywordIndexParams.IsTenant);
        });

        // Another process (the Api, a second Workers replica) finds them and creates nothing.
        await Store().UpsertAsync(VectorCollections.Entities, [Point("ent-1", "ada", new { entity_name = "Ada" })], default);
        Assert.Equal(3, _server.Count("/qdrant.Collections/Create"));
    }

    [Fact]
    public async Task Point_ids_are_LightRAGs_sha256_uuids_so_writing_a_point_again_replaces_it()
    {
        var store = Store();
        await store.UpsertAsync(VectorCollections.Chunks, [Point("chunk-abc", "first text", new { full_doc_id = "job-1", file_path = "a.txt" })], default);
        await store.UpsertAsync(VectorCollections.Chunks, [Point("chunk-abc", "second text", new { full_doc_id = "job-2", file_path = "a.txt" })], default);

        var hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("default" + "chunk-abc")))[..32];
        var expected = $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
        var point = Assert.Single(_server.Points["lightrag_vdb_chunks_nomic_embed_text_latest_64d"].Values);
        Assert.Equal(expected, point.Id.Uuid);
        Assert.Equal("chunk-abc", point.Payload["id"].StringValue);
        Assert.Equal("second text", point.Payload["content"].StringValue);
        Assert.Equal("job-2", point.Payload["full_doc_id"].StringValue);
        Assert.Equal("a.txt", point.Payload["file_path"].StringValue);
        Assert.Equal("default", point.Payload["workspace_id"].StringValue);
        var upsert = _server.Requests.Where(r => r.Method == "/qdrant.Points/Upsert").Select(r => (UpsertPoints)r.Request).Last();
        Assert.True(upsert.Wait, "writes wait for Qdrant to apply them, so an acknowledged chunk is searchable");
    }

    [Fact]
    public async Task A_search_returns_Shield_ids_content_and_payload_best_first_and_only_from_its_own_workspace()
    {
        var store = Store();
        await store.UpsertAsync(VectorCollections.Chunks,
        [
            Point("chunk-ada", "ada lovelace wrote the first program", new { full_doc_id = "d" }),
            Point("chunk-engine", "the analytical engine was never finished", new { full_doc_id = "d" }),
            Point("chunk-other", "tea time in london", new { full_doc_id = "d" }),
        ], default);
        await Store("someone-else").UpsertAsync(VectorCollections.Chunks, [Point("chunk-theirs", "ada lovelace wrote the first program", new { full_doc_id = "x" })], default);

        var hits = await store.SearchAsync(VectorCollections.Chunks, ScriptedOllamaServer.Embed("who wrote the first program"), 5, default);

        Assert.Equal("chunk-ada", hits[0].Id);
        Assert.Equal("ada lovelace wrote the first program", hits[0].Content);
        Assert.Equal("d", JsonDocument.Parse(hits[0].PayloadJson).RootElement.GetProperty("full_doc_id").GetString());
        Assert.DoesNotContain(hits, h => h.Id == "chunk-theirs");
        Assert.DoesNotContain(hits, h => h.Id == "chunk-other"); // below LightRAG's 0.2 cosine threshold
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public async Task Deleting_removes_the_points_by_their_Shield_ids()
    {
        var store = Store();
        await store.UpsertAsync(VectorCollections.Entities, [Point("ent-a", "ada", new { entity_name = "Ada" }), Point("ent-b", "babbage", new { entity_name = "Babbage" })], default);

        await store.DeleteAsync(VectorCollections.Entities, ["ent-a"], default);

        var left = Assert.Single(_server.Points["lightrag_vdb_entities_nomic_embed_text_latest_64d"].Values);
        Assert.Equal("ent-b", left.Payload["id"].StringValue);
    }

    [Fact]
    public async Task The_collections_are_created_when_the_service_starts_not_at_the_first_chunk()
    {
        var client = new QdrantClient(new QdrantGrpcClient(_server));
        var collections = new QdrantCollections(client, _embeddings, NullLogger<QdrantCollections>.Instance);
        using var initializer = new QdrantCollectionsInitializer(collections, TimeProvider.System, NullLogger<QdrantCollectionsInitializer>.Instance);

        await initializer.StartAsync(default);
        await initializer.ExecuteTask!;

        Assert.Equal(3, _server.Collections.Count);
        Assert.DoesNotContain(_server.Requests, r => r.Method == "/qdrant.Points/Upsert");
    }

    [Fact]
    public async Task The_dimension_probe_runs_once_per_process()
    {
        var store = Store();
        await store.UpsertAsync(VectorCollections.Chunks, [Point("c1", "one", new { })], default);
        await store.UpsertAsync(VectorCollections.Chunks, [Point("c2", "two", new { })], default);
        await store.SearchAsync(VectorCollections.Chunks, ScriptedOllamaServer.Embed("one"), 1, default);

        Assert.Equal(1, _embeddings.Calls);
        Assert.Equal(3, _server.Count("/qdrant.Collections/CollectionExists"));
    }
}
