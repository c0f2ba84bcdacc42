using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Workers.Extraction;
using Shield.Knowledge;
using Shield.Workers.Graph;

namespace Shield.Workers.Processing;

/// <summary>
/// The plan's LightRAGProcessor steps for one chunk: store the chunk, extract entities and relationships,
/// merge them into the PostgreSQL knowledge graph, embed the chunk and every node and edge the merge touched,
/// and write the three vector collections LightRAG keeps. Every write is keyed by content or name, so running a
/// chunk again leaves the same rows, graph and vectors.
/// </summary>
public sealed partial class LightRagChunkProcessor(
    ShieldDbContext db,
    IEntityExtractor extractor,
    KnowledgeGraphStore graph,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    IVectorStore vectors,
    TimeProvider time,
    ILogger<LightRagChunkProcessor> logger) : IChunkProcessor
{
    public async Task<ChunkProcessingResult> ProcessAsync(ChunkMessage chunk, CancellationToken cancellationToken)
    {
        var content = chunk.Text.Trim();
        using (PipelineStage.Start("store chunk"))
        {
            await StoreChunkAsync(chunk, content, cancellationToken);
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
        using var mergeStage = PipelineStage.Start("merge graph");
        var merge = await graph.MergeAsync(new ChunkGraph(
            chunk.ChunkId,
            [.. extraction.Entities.Select(e => new EntityMention(e.Name, e.Type, e.Description))],
            [.. extraction.Relations.Select(r => new RelationMention(r.Source, r.Target, r.Keywords, r.Description, r.Weight))]),
            cancellationToken);
        mergeStage.Dispose();

        // One batch for the chunk and everything the merge touched: the embedder works best on batches.
        var chunkPoint = (Id: chunk.ChunkId, Text: content, Payload: new JsonObject
        {
            ["id"] = chunk.ChunkId, ["full_doc_id"] = chunk.JobId.ToString(), ["file_path"] = chunk.SourceUri, ["content"] = content,
        });
        var entityPoints = merge.Entities.Select(e => (Id: VectorIds.Entity(e.Name), Text: $"{e.Name}\n{e.Description}", Payload: new JsonObject
        {
            ["id"] = VectorIds.Entity(e.Name), ["entity_name"] = e.Name, ["entity_type"] = e.EntityType,
            ["source_id"] = string.Join(GraphMergeRules.Separator, e.SourceChunkIds), ["content"] = $"{e.Name}\n{e.Description}",
            ["file_path"] = chunk.SourceUri,
        })).ToList();
        var relationshipPoints = merge.Relationships.Select(r =>
        {
            var text = $"{string.Join(",", r.Keywords)}\t{r.Source}\n{r.Target}\n{r.Description}";
            return (Id: VectorIds.Relationship(r.Source, r.Target), Text: text, Payload: new JsonObject
            {
                ["id"] = VectorIds.Relationship(r.Source, r.Target), ["src_id"] = r.Source, ["tgt_id"] = r.Target,
                ["source_id"] = string.Join(GraphMergeRules.Separator, r.SourceChunkIds), ["content"] = text, ["file_path"] = chunk.SourceUri,
            });
        }).ToList();

        var all = new[] { chunkPoint }.Concat(entityPoints).Concat(relationshipPoints).ToList();
        GeneratedEmbeddings<Embedding<float>> generated;
        using (PipelineStage.Start("embed"))
        {
            generated = await embeddings.GenerateAsync(all.Select(p => p.Text), cancellationToken: cancellationToken);
        }
        VectorPoint Point(int index) => new(all[index].Id, generated[index].Vector, all[index].Text, all[index].Payload.ToJsonString());

        using var vectorStage = PipelineStage.Start("write vectors");
        await vectors.UpsertAsync(VectorCollections.Chunks, [Point(0)], cancellationToken);
        await vectors.UpsertAsync(VectorCollections.Entities, [.. Enumerable.Range(1, entityPoints.Count).Select(Point)], cancellationToken);
        await vectors.UpsertAsync(VectorCollections.Relationships,
            [.. Enumerable.Range(1 + entityPoints.Count, relationshipPoints.Count).Select(Point)], cancellationToken);
        await vectors.DeleteAsync(VectorCollections.Entities, [.. merge.RemovedEntities.Select(VectorIds.Entity)], cancellationToken);
        await vectors.DeleteAsync(VectorCollections.Relationships,
            [.. merge.RemovedRelationships.Select(p => VectorIds.Relationship(p.Source, p.Target))], cancellationToken);
        vectorStage.Dispose();

        LogProcessed(chunk.ChunkId, merge.Entities.Count, merge.Relationships.Count);
        return new ChunkProcessingResult(chunk.ChunkId, all.Count);
    }

    private async Task StoreChunkAsync(ChunkMessage chunk, string content, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // The text once, however many jobs contain it, and this job's claim on it (its index, source and metadata).
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            WITH stored AS (
              INSERT INTO chunks (id, content, created_at, updated_at) VALUES ({chunk.ChunkId}, {content}, {now}, {now})
              ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at
              RETURNING id)
            INSERT INTO job_chunks (job_id, chunk_index, chunk_id, source_uri, source_type, metadata, created_at)
            SELECT {chunk.JobId}, {chunk.ChunkIndex}, id, {chunk.SourceUri}, {chunk.SourceType}, {chunk.MetadataJson}::jsonb, {now}
            FROM stored
            ON CONFLICT (job_id, chunk_index) DO UPDATE SET
              chunk_id = EXCLUDED.chunk_id, source_uri = EXCLUDED.source_uri, source_type = EXCLUDED.source_type,
              metadata = EXCLUDED.metadata
            """, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chunk {ChunkId}: {Count} malformed extraction records skipped")]
    private partial void LogSkippedRecords(string chunkId, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Chunk {ChunkId}: merged {Entities} entities and {Relationships} relationships")]
    private partial void LogProcessed(string chunkId, int entities, int relationships);
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
