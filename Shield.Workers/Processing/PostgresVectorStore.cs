using Microsoft.EntityFrameworkCore;
using Shield.Ingestion.Persistence;

namespace Shield.Workers.Processing;

/// <summary>
/// The embedded vector store: the <c>vectors</c> table, searched by exact cosine similarity. pgvector is not
/// assumed (it is not packaged everywhere), so embeddings are plain <c>real[]</c> columns.
/// </summary>
public sealed class PostgresVectorStore(ShieldDbContext db, TimeProvider time) : IVectorStore
{
    public string Description => "postgresql (exact cosine, embedded)";

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var point in points)
        {
            var embedding = point.Embedding.ToArray();
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO vectors (collection, id, embedding, content, payload, updated_at)
                VALUES ({collection}, {point.Id}, {embedding}, {point.Content}, {point.PayloadJson}::jsonb, {now})
                ON CONFLICT (collection, id) DO UPDATE SET
                  embedding = EXCLUDED.embedding, content = EXCLUDED.content,
                  payload = EXCLUDED.payload, updated_at = EXCLUDED.updated_at
                """, cancellationToken);
        }
    }

    public async Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        var idArray = ids.ToArray();
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"DELETE FROM vectors WHERE collection = {collection} AND id = ANY({idArray})", cancellationToken);
    }
}
