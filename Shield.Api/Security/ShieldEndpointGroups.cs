using Microsoft.AspNetCore.Antiforgery;

namespace Shield.Api.Security;

/// <summary>
/// How an endpoint says who may call it. Map every endpoint inside one of these groups:
/// <code>
/// var reads = app.MapReadGroup();   reads.MapGet("/documents", ...);
/// var writes = app.MapWriteGroup(); writes.MapDelete("/documents/{id}", ...);
/// </code>
/// An endpoint mapped outside them still needs a read key (the fallback policy), and
/// <c>Shield.Tests/Api/AccessTableTests</c> fails until the endpoint has a row in its table.
/// </summary>
public static class ShieldEndpointGroups
{
    /// <summary>Jobs, events, graph, query, detailed health, OpenAPI: a read key, a write key, or a session; the read rate limit.</summary>
    public static RouteGroupBuilder MapReadGroup(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        group.RequireAuthorization(ShieldPolicies.Read)
            .RequireRateLimiting(ApiSecurityExtensions.ReadRateLimit);
        group.ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return group;
    }

    /// <summary>
    /// Ingest, retry, cancel: a write key or a write session; the write rate limit. A request authenticated by the
    /// session cookie must also carry the antiforgery token, since a browser sends cookies on its own.
    /// </summary>
    public static RouteGroupBuilder MapWriteGroup(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        group.RequireAuthorization(ShieldPolicies.Write)
            .RequireRateLimiting(ApiSecurityExtensions.WriteRateLimit)
            .AddEndpointFilter(new AntiforgeryCheck(onlyForSessions: true));
        group.ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return group;
    }

    /// <summary>Checks the antiforgery token (header <see cref="ApiSecurityExtensions.AntiforgeryHeader"/> or form field) before the handler runs.</summary>
    public static TBuilder ValidateAntiforgery<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new AntiforgeryCheck(onlyForSessions: false));
}

/// <summary>Refuses a request without a valid antiforgery token with a 400 problem document; changes nothing.</summary>
internal sealed class AntiforgeryCheck(bool onlyForSessions) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var needed = !onlyForSessions || http.User.Identity?.AuthenticationType == ShieldAuthenticationTypes.Session;
        if (needed && !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
        {
            return TypedResults.Problem(
                $"This request needs the antiforgery token from GET /session in the {ApiSecurityExtensions.AntiforgeryHeader} header " +
                "(the jobs page sends it); reload the page if it was open long. Clients with an API key send X-Api-Key instead.",
                statusCode: StatusCodes.Status400BadRequest, title: "Antiforgery token missing or invalid");
        }
        return await next(context);
    }
}
