using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Npgsql;
using Shield.Ingestion.Documents;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Knowledge;
using Shield.Workers.Extraction;
using Shield.Workers.Graph;
using Shield.Workers.Pool;

namespace Shield.Workers.Processing;

/// <summary>
/// The plan's LightRAGProcessor steps for one chunk: store the chunk (and its job's claim on it), extract entities and
/// relationships, merge them into the PostgreSQL knowledge graph, and embed and write the chunk's own vector. The
/// nodes and edges the merge touched are summarised and embedded once, when the job's chunks are all done
/// (<see cref="Finalization.JobFinalizer"/>), not once per chunk. A text already stored under the same
/// <see cref="ExtractionSettings"/> costs no model call and no embedding: it is counted as processed and its nodes and
/// edges are handed to the job's finalisation as they are.
/// </summary>
public sealed partial class LightRagChunkProcessor(
    ShieldDbContext db,
    IEntityExtractor extractor,
    KnowledgeGraphStore graph,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    ChunkVectorWriter vectors,
    ExtractionSettings settings,
    TimeProvider time,
    ILogger<LightRagChunkProcessor> logger) : IChunkProcessor
{
    public async Task<ChunkProcessingResult> ProcessAsync(ChunkMessage chunk, CancellationToken cancellationToken)
    {
        var content = chunk.Text.Trim();
        string? storedSettings;
        using (PipelineStage.Start("store chunk"))
        {
            storedSettings = await StoreChunkAsync(chunk, content, cancellationToken);
        }
        if (storedSettings == settings.Fingerprint)
        {
            // The same text under the same settings: its fragments and vector are stored. The job still owns what the
            // text says, so its nodes and edges go through the job's finalisation (which finds them final, for free).
            using (PipelineStage.Start("reuse stored chunk"))
            {
                await graph.RecordChunkChangesAsync(chunk.JobId, chunk.ChunkId, cancellationToken);
            }
            WorkerTelemetry.ChunksReused.Add(1);
            LogReused(chunk.ChunkId);
            return new ChunkProcessingResult(chunk.ChunkId, 0, Reused: true);
        }

        ExtractionResult extraction;
        using (PipelineStage.Start("extract"))
        {
            extraction = await extractor.ExtractAsync(chunk.ChunkId, content, cancellationToken);
        }
        if (extraction.SkippedRecords > 0)
        {
            LogSkippedRecords(chunk.ChunkId, extraction.SkippedRecords);
        }

        ChunkMergeResult merge;
        using (PipelineStage.Start("merge graph"))
        {
            merge = await graph.MergeAsync(chunk.JobId, new ChunkGraph(
                chunk.ChunkId,
                [.. extraction.Entities.Select(e => new EntityMention(e.Name, e.Type, e.Description))],
                [.. extraction.Relations.Select(r => new RelationMention(r.Source, r.Target, r.Keywords, r.Description, r.Weight))]),
                cancellationToken);
        }

        ReadOnlyMemory<float> vector;
        using (PipelineStage.Start("embed"))
        {
            vector = await embeddings.GenerateVectorAsync(content, cancellationToken: cancellationToken);
        }
        using (PipelineStage.Start("write vectors"))
        {
            var payload = new JsonObject
            {
                // LightRAG's full_doc_id: the document the chunk was cut from (POST /documents), else the job that sent it.
                ["id"] = chunk.ChunkId, ["full_doc_id"] = DocumentMetadata.DocumentIdOf(chunk.MetadataJson) ?? chunk.JobId.ToString(),
                ["file_path"] = chunk.SourceUri, ["content"] = content,
            };
            await vectors.UpsertAsync(VectorCollections.Chunks, new VectorPoint(chunk.ChunkId, vector, content, payload.ToJsonString()), cancellationToken);
        }

        // Last: only a text whose fragments and vector are all stored counts as processed under these settings. A
        // synchronous commit, so it also makes the merge's (committed without waiting for the disk) durable.
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"UPDATE chunks SET extraction_settings = {settings.Fingerprint} WHERE id = {chunk.ChunkId}", cancellationToken);
        LogProcessed(chunk.ChunkId, merge.Entities, merge.Relationships);
        return new ChunkProcessingResult(chunk.ChunkId, 1);
    }

    /// <summary>Stores the text once and this job's claim on it; returns the settings the text was processed with before, if any.</summary>
    private async Task<string?> StoreChunkAsync(ChunkMessage chunk, string content, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            // The text once, however many jobs contain it, and this job's claim on it (its index, source and metadata).
            await using var command = new NpgsqlCommand("""
                WITH stored AS (
                  INSERT INTO chunks (id, content, created_at, updated_at) VALUES ($1, $2, $3, $3)
                  ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at
                  RETURNING id, extraction_settings),
                claimed AS (
                  INSERT INTO job_chunks (job_id, chunk_index, chunk_id, source_uri, source_type, metadata, created_at)
                  SELECT $4, $5, id, $6, $7, $8::jsonb, $3 FROM stored
                  ON CONFLICT (job_id, chunk_index) DO UPDATE SET
                    chunk_id = EXCLUDED.chunk_id, source_uri = EXCLUDED.source_uri, source_type = EXCLUDED.source_type,
                    metadata = EXCLUDED.metadata)
                SELECT extraction_settings FROM stored
                """, (NpgsqlConnection)db.Database.GetDbConnection());
            foreach (var value in new object[] { chunk.ChunkId, content, now, chunk.JobId, chunk.ChunkIndex, chunk.SourceUri, chunk.SourceType, chunk.MetadataJson })
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chunk {ChunkId}: {Count} malformed extraction records skipped")]
    private partial void LogSkippedRecords(string chunkId, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Chunk {ChunkId}: merged {Entities} entities and {Relationships} relationships")]
    private partial void LogProcessed(string chunkId, int entities, int relationships);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Chunk {ChunkId}: already stored under these settings; reused without a model call")]
    private partial void LogReused(string chunkId);
}

/// <summary>
/// The fingerprint of what decides a chunk's fragments and vector: the extractor's settings and the embedding model. A
/// chunk stored under another fingerprint (a new chat model, prompt, gleaning, entity types, language or embedding
/// model) is processed again; its model answers may still come from the model cache.
/// </summary>
public sealed class ExtractionSettings(IEntityExtractor extractor, IEmbeddingGenerator<string, Embedding<float>> embeddings)
{
    public string Description { get; } = Describe(extractor, embeddings);

    public string Fingerprint => GraphMergeRules.Md5(Description);

    private static string Describe(IEntityExtractor extractor, IEmbeddingGenerator<string, Embedding<float>> embeddings)
    {
        var metadata = embeddings.GetService<EmbeddingGeneratorMetadata>();
        return $"{extractor.Settings}; embeddings {metadata?.ProviderName}/{metadata?.DefaultModelId}";
    }
}

/// <summary>LightRAG's vector ids: <c>ent-</c> + MD5(name), <c>rel-</c> + MD5(source + target) of the sorted pair.</summary>
public static class VectorIds
{
    public static string Entity(string name) => "ent-" + ChunkIds.Md5Hex(name);

    public static string Relationship(string source, string target)
    {
        var (a, b) = GraphMergeRules.SortedPair(source, target);
        return "rel-" + ChunkIds.Md5Hex(a + b);
    }
}
