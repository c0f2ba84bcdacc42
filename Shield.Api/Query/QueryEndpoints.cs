using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Shield.Api.Graph;
using Shield.Api.Security;
using Shield.Ingestion.Persistence;
using Shield.Knowledge;

namespace Shield.Api.Query;

public sealed record QueryRequest(
    [property: JsonPropertyName("query")] string? Query,
    [property: JsonPropertyName("mode")] string? Mode,
    [property: JsonPropertyName("top_k")] int? TopK);

public sealed record ChunkHit(
    [property: JsonPropertyName("chunk_id")] string ChunkId,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("file_path")] string? FilePath,
    [property: JsonPropertyName("full_doc_id")] string? FullDocId);

public sealed record EntityHit(
    [property: JsonPropertyName("entity")] EntityView Entity,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("relationships")] IReadOnlyList<RelationshipView> Relationships,
    [property: JsonPropertyName("source_chunks")] IReadOnlyList<ChunkHit> SourceChunks);

public sealed record QueryResult(
    [property: JsonPropertyName("query")] string Query,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("top_k")] int TopK,
    [property: JsonPropertyName("chunks")] IReadOnlyList<ChunkHit>? Chunks,
    [property: JsonPropertyName("entities")] IReadOnlyList<EntityHit>? Entities);

/// <summary>
/// LightRAG's retrieval without answer generation: <c>naive</c> returns the chunks nearest the query; <c>local</c>
/// returns the entities nearest the query with their relationships and the chunks they came from.
/// </summary>
public static class QueryEndpoints
{
    private const int MaxQueryLength = 4096;
    private const int MaxTopK = 100;
    private const int RelationshipsPerEntity = 10;
    private const int ChunksPerEntity = 5;

    public static IEndpointRouteBuilder MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapReadGroup().MapPost("/lightrag/query", QueryAsync)
            .WithName("Query")
            .WithTags("Query")
            .WithSummary("Retrieve what was ingested (no answer generation)")
            .WithDescription("{query, mode: naive|local, top_k}. naive: the top_k chunks by vector similarity. local: the top_k " +
                "entities by similarity, each with its heaviest relationships and its source chunks.")
            .Produces<QueryResult>()
            .ProducesValidationProblem();
        return app;
    }

    private static async Task<Results<Ok<QueryResult>, ValidationProblem>> QueryAsync(
        QueryRequest request, IEmbeddingGenerator<string, Embedding<float>> embeddings, IVectorStore vectors,
        ShieldDbContext db, CancellationToken cancellationToken)
    {
        var mode = (request.Mode ?? "naive").Trim().ToLowerInvariant();
        var topK = request.TopK ?? 10;
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Query)) errors["query"] = ["query is required."];
        else if (request.Query.Length > MaxQueryLength) errors["query"] = [$"query may be at most {MaxQueryLength} characters."];
        if (mode is not ("naive" or "local")) errors["mode"] = ["mode must be 'naive' or 'local'."];
        if (topK is < 1 or > MaxTopK) errors["top_k"] = [$"top_k must be between 1 and {MaxTopK}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The query is invalid");

        var vector = await embeddings.GenerateVectorAsync(request.Query!, cancellationToken: cancellationToken);
        if (mode == "naive")
        {
            var hits = await vectors.SearchAsync(VectorCollections.Chunks, vector, topK, cancellationToken);
            return TypedResults.Ok(new QueryResult(request.Query!, mode, topK, [.. hits.Select(ToChunkHit)], null));
        }

        var entityHits = await vectors.SearchAsync(VectorCollections.Entities, vector, topK, cancellationToken);
        var results = new List<EntityHit>();
        foreach (var hit in entityHits)
        {
            var name = Payload(hit.PayloadJson, "entity_name");
            var entity = name is null ? null : await db.GraphEntities.AsNoTracking().SingleOrDefaultAsync(e => e.Name == name, cancellationToken);
            if (entity is null) continue; // a vector whose node was removed since: skip rather than guess
            var relationships = await db.GraphRelationships.AsNoTracking()
                .Where(r => r.SourceName == entity.Name || r.TargetName == entity.Name)
                .OrderByDescending(r => r.Weight).ThenBy(r => r.SourceName).ThenBy(r => r.TargetName)
                .Take(RelationshipsPerEntity).ToListAsync(cancellationToken);
            var chunkIds = entity.SourceChunkIds.Take(ChunksPerEntity).ToList();
            // A text several jobs submitted is reported with the first of them, as its vector's payload names it.
            var chunks = await db.Chunks.AsNoTracking().Where(c => chunkIds.Contains(c.Id))
                .Select(c => new
                {
                    c.Id,
                    c.Content,
                    First = db.JobChunks.Where(l => l.ChunkId == c.Id).OrderBy(l => l.CreatedAt).ThenBy(l => l.JobId)
                        .Select(l => new { l.SourceUri, l.JobId }).FirstOrDefault(),
                })
                .ToListAsync(cancellationToken);
            results.Add(new EntityHit(GraphEndpoints.ToView(entity), hit.Score,
                [.. relationships.Select(GraphEndpoints.ToView)],
                [.. chunks.OrderBy(c => chunkIds.IndexOf(c.Id))
                    .Select(c => new ChunkHit(c.Id, 0, c.Content, c.First?.SourceUri, c.First?.JobId.ToString()))]));
        }
        return TypedResults.Ok(new QueryResult(request.Query!, mode, topK, null, results));
    }

    private static ChunkHit ToChunkHit(VectorMatch match) =>
        new(match.Id, Math.Round(match.Score, 4), match.Content, Payload(match.PayloadJson, "file_path"), Payload(match.PayloadJson, "full_doc_id"));

    private static string? Payload(string json, string name)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
