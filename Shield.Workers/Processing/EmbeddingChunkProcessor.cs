using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;

namespace Shield.Workers.Processing;

/// <summary>
/// Stores the chunk in PostgreSQL and its embedding in the chunks collection. Both writes are upserts keyed by
/// the chunk's content address, so running a chunk twice leaves one row and one vector.
/// The full LightRAG steps (extraction, graph, entity and relationship vectors) plug in behind the same interface.
/// </summary>
public sealed class EmbeddingChunkProcessor(
    ShieldDbContext db,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    IVectorStore vectors,
    TimeProvider time) : IChunkProcessor
{
    public async Task<ChunkProcessingResult> ProcessAsync(ChunkMessage chunk, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var content = chunk.Text.Trim();
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO chunks (id, content, source_uri, source_type, metadata, job_id, chunk_index, created_at, updated_at)
            VALUES ({chunk.ChunkId}, {content}, {chunk.SourceUri}, {chunk.SourceType}, {chunk.MetadataJson}::jsonb,
                    {chunk.JobId}, {chunk.ChunkIndex}, {now}, {now})
            ON CONFLICT (id) DO UPDATE SET
              source_uri = EXCLUDED.source_uri, source_type = EXCLUDED.source_type, metadata = EXCLUDED.metadata,
              job_id = EXCLUDED.job_id, chunk_index = EXCLUDED.chunk_index, updated_at = EXCLUDED.updated_at
            """, cancellationToken);

        var embedding = await embeddings.GenerateVectorAsync(content, cancellationToken: cancellationToken);
        var payload = new JsonObject
        {
            ["id"] = chunk.ChunkId,
            ["full_doc_id"] = chunk.JobId.ToString(),
            ["file_path"] = chunk.SourceUri,
            ["content"] = content,
        };
        await vectors.UpsertAsync(VectorCollections.Chunks,
            [new VectorPoint(chunk.ChunkId, embedding, content, payload.ToJsonString())], cancellationToken);
        return new ChunkProcessingResult(chunk.ChunkId, VectorsWritten: 1);
    }
}
