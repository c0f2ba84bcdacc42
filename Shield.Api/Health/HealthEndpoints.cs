using Microsoft.AspNetCore.Http.HttpResults;
using Shield.Api.Security;

namespace Shield.Api.Health;

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapDetailedHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapReadGroup().MapGet("/health/detailed", CheckAsync)
            .WithName("DetailedHealth")
            .WithTags("Health")
            .WithSummary("Dependencies and the worker pool")
            .WithDescription("Redis, PostgreSQL, the vector store and model backend (or the embedded defaults), and the worker " +
                "pool read from Redis: consumers, active workers, queue depth, pending entries and the measured processing rate. " +
                "503 when Redis or PostgreSQL is down. access: 'keys', or 'open' when no API key is configured.")
            .Produces<DetailedHealthReport>()
            .Produces<DetailedHealthReport>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<JsonHttpResult<DetailedHealthReport>> CheckAsync(DetailedHealth health, CancellationToken cancellationToken)
    {
        var report = await health.CheckAsync(cancellationToken);
        return TypedResults.Json(report, statusCode: report.Status == "unhealthy" ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }
}
