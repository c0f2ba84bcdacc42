using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shield.Api.Security;
using Shield.Ingestion.Persistence;

namespace Shield.Api.Graph;

public sealed record EntityView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("entity_type")] string EntityType,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("source_chunk_ids")] IReadOnlyList<string> SourceChunkIds,
    [property: JsonPropertyName("fragment_count")] int FragmentCount,
    [property: JsonPropertyName("summarized")] bool Summarized);

public sealed record RelationshipView(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("keywords")] IReadOnlyList<string> Keywords,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("weight")] double Weight,
    [property: JsonPropertyName("source_chunk_ids")] IReadOnlyList<string> SourceChunkIds);

public static class GraphEndpoints
{
    public static IEndpointRouteBuilder MapGraphEndpoints(this IEndpointRouteBuilder app)
    {
        var graph = app.MapReadGroup().MapGroup("/graph/entities").WithTags("Graph");
        graph.MapGet("/{name}", GetEntityAsync)
            .WithName("GetEntity")
            .WithSummary("One knowledge-graph entity")
            .WithDescription("Names are exact and case-sensitive, as LightRAG keeps them; URL-encode them.")
            .Produces<EntityView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        graph.MapGet("/{name}/relations", GetRelationsAsync)
            .WithName("GetEntityRelations")
            .WithSummary("The relationships of one entity, heaviest first")
            .Produces<IReadOnlyList<RelationshipView>>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<EntityView>, ProblemHttpResult>> GetEntityAsync(
        string name, ShieldDbContext db, CancellationToken cancellationToken)
    {
        name = Uri.UnescapeDataString(name);
        var entity = await db.GraphEntities.AsNoTracking().SingleOrDefaultAsync(e => e.Name == name, cancellationToken);
        return entity is null ? NotFound(name) : TypedResults.Ok(ToView(entity));
    }

    private static async Task<Results<Ok<List<RelationshipView>>, ProblemHttpResult>> GetRelationsAsync(
        string name, ShieldDbContext db, CancellationToken cancellationToken)
    {
        name = Uri.UnescapeDataString(name);
        if (!await db.GraphEntities.AnyAsync(e => e.Name == name, cancellationToken))
        {
            return NotFound(name);
        }
        var relationships = await db.GraphRelationships.AsNoTracking()
            .Where(r => r.SourceName == name || r.TargetName == name)
            .OrderByDescending(r => r.Weight).ThenBy(r => r.SourceName).ThenBy(r => r.TargetName)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(relationships.Select(ToView).ToList());
    }

    public static EntityView ToView(GraphEntityRow e) =>
        new(e.Name, e.EntityType, e.Description, e.SourceChunkIds, e.FragmentCount, e.Summarized);

    public static RelationshipView ToView(GraphRelationshipRow r) =>
        new(r.SourceName, r.TargetName, r.Keywords, r.Description, r.Weight, r.SourceChunkIds);

    private static ProblemHttpResult NotFound(string name) => TypedResults.Problem(
        $"No entity named '{name}'. Entity names are case-sensitive.", statusCode: StatusCodes.Status404NotFound, title: "Entity not found");
}
