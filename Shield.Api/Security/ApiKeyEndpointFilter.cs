using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Shield.Api.Security;

/// <summary>Rejects write requests without the configured API key (constant-time comparison; the key is never logged).</summary>
public sealed class ApiKeyEndpointFilter(IOptions<ApiSecurityOptions> options) : IEndpointFilter
{
    private readonly byte[]? _expectedHash = string.IsNullOrEmpty(options.Value.ApiKey)
        ? null
        : SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKey));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_expectedHash is null)
        {
            return await next(context);
        }

        var provided = ApiKeys.FromRequest(context.HttpContext.Request);
        // Hashing both sides first makes the comparison constant-time even when the lengths differ.
        if (provided is null || !CryptographicOperations.FixedTimeEquals(_expectedHash, SHA256.HashData(Encoding.UTF8.GetBytes(provided))))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "ApiKey header=\"X-Api-Key\"";
            return TypedResults.Problem(
                provided is null ? "This endpoint needs an API key in the X-Api-Key header (or Authorization: Bearer)." : "The API key is not valid.",
                statusCode: StatusCodes.Status401Unauthorized, title: "API key required");
        }
        return await next(context);
    }
}

public static class ApiKeys
{
    public static string? FromRequest(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && !string.IsNullOrEmpty(header))
        {
            return header.ToString();
        }
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    /// <summary>A stable, non-reversible client id for rate limiting: never the key itself.</summary>
    public static string ClientId(HttpContext context) => FromRequest(context.Request) is { } key
        ? "key:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]
        : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}

public static class ApiKeyEndpointExtensions
{
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, ApiKeyEndpointFilter>();
}
