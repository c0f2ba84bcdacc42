using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using Shield.Api.Security;

namespace Shield.Api.ApiReference;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) and the Scalar API reference beside it (<c>/scalar/</c>), both
/// behind the read policy. Scalar.AspNetCore serves its JavaScript bundle from the package itself
/// (<c>/scalar/scalar.js</c>); what it would fetch elsewhere by default (its fonts from Scalar's CDN, telemetry, the
/// AI agent, the developer toolbar's links) is turned off, so the page works without network access.
/// </summary>
public static class ApiReferenceExtensions
{
    public const string ApiKeySchemeName = "ApiKey";
    public const string BearerSchemeName = "Bearer";

    public static IServiceCollection AddApiReference(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Shield API";
            document.Info.Description = "Asynchronous ingestion for a LightRAG-style knowledge base. Every endpoint but /health, " +
                "/alive and /session needs a key: a read key for reads, a write key for ingest, retry and cancel. Send it as " +
                $"{ApiKeys.Header} (or Authorization: Bearer), or sign in on the jobs page for a session cookie.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[ApiKeySchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeys.Header,
                Description = "A read key (AppHost parameter api-read-key) or a write key (parameter api-key).",
            };
            document.Components.SecuritySchemes[BearerSchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The same keys as Authorization: Bearer <key>.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAllowAnonymous>().Any())
            {
                return Task.CompletedTask;
            }
            var write = metadata.OfType<IAuthorizeData>().Any(a => a.Policy == ShieldPolicies.Write);
            operation.Description = (write ? "Needs a write key. " : "Needs a read key (a write key also reads). ") + operation.Description;
            operation.Security ??= [];
            foreach (var scheme in new[] { ApiKeySchemeName, BearerSchemeName })
            {
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] });
            }
            return Task.CompletedTask;
        });
    });

    /// <summary>Maps the document and the reference page into <paramref name="reads"/> (the read group).</summary>
    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder reads)
    {
        reads.MapOpenApi();
        reads.MapScalarApiReference(options => options
            .WithTitle("Shield API reference")
            .ExpandAllTags()
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .HideDeveloperTools()
            .AddPreferredSecuritySchemes(ApiKeySchemeName));
        return reads;
    }
}
