using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shield.Ingestion.Persistence;

namespace Shield.Knowledge;

/// <summary>
/// The embedded vector store: the <c>vectors</c> table, searched by exact cosine similarity. pgvector is not
/// assumed (it is not packaged everywhere), so embeddings are plain <c>real[]</c> columns.
/// </summary>
public sealed class PostgresVectorStore(ShieldDbContext db, TimeProvider time) : IVectorStore
{
    public string Description => "postgresql (exact cosine, embedded)";

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        if (points.Count == 0) return;
        // One statement for the batch: the embeddings travel as one flat array, each row taking its slice of it.
        var dimensions = points[0].Embedding.Length;
        var flat = new float[points.Count * dimensions];
        for (var i = 0; i < points.Count; i++)
        {
            if (points[i].Embedding.Length != dimensions)
            {
                throw new ArgumentException($"Point {points[i].Id} has {points[i].Embedding.Length} dimensions, the batch {dimensions}.", nameof(points));
            }
            points[i].Embedding.Span.CopyTo(flat.AsSpan(i * dimensions));
        }
        var ids = points.Select(p => p.Id).ToArray();
        var contents = points.Select(p => p.Content).ToArray();
        var payloads = points.Select(p => p.PayloadJson).ToArray();
        var now = time.GetUtcNow();
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO vectors (collection, id, embedding, content, payload, updated_at)
            SELECT {collection}, u.id, ({flat}::real[])[((u.o::int - 1) * {dimensions} + 1):(u.o::int * {dimensions})], u.c, u.p::jsonb, {now}
            FROM unnest({ids}::text[], {contents}::text[], {payloads}::text[]) WITH ORDINALITY AS u(id, c, p, o)
            ON CONFLICT (collection, id) DO UPDATE SET
              embedding = EXCLUDED.embedding, content = EXCLUDED.content,
              payload = EXCLUDED.payload, updated_at = EXCLUDED.updated_at
            """, cancellationToken);
    }

    public async Task<IReadOnlyList<VectorMatch>> SearchAsync(string collection, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken)
    {
        // Exact search: every vector of the collection is scored. Fine for a development store; Qdrant (HNSW) is
        // the one for large collections.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = """
                SELECT id, content, payload::text,
                       -- float4 products of tiny components underflow (an error in PostgreSQL), so multiply in float8.
                       (SELECT sum(a::float8 * b::float8) FROM unnest(embedding, @query) AS t(a, b)) AS score
                FROM vectors WHERE collection = @collection
                ORDER BY score DESC, id
                LIMIT @top
                """;
            command.Parameters.Add(new NpgsqlParameter("query", query.ToArray()));
            command.Parameters.Add(new NpgsqlParameter("collection", collection));
            command.Parameters.Add(new NpgsqlParameter("top", topK));
            var matches = new List<VectorMatch>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                matches.Add(new VectorMatch(reader.GetString(0), reader.IsDBNull(3) ? 0 : reader.GetDouble(3), reader.GetString(1), reader.GetString(2)));
            }
            return matches;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
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
