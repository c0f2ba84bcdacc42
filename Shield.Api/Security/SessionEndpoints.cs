using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Shield.Api.Security;

/// <summary>What <c>GET /session</c> tells the jobs page: whether keys are needed, who it is, and its antiforgery token.</summary>
public sealed record SessionView(
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("authenticated")] bool Authenticated,
    [property: JsonPropertyName("via")] string? Via,
    [property: JsonPropertyName("scope")] string? Scope,
    [property: JsonPropertyName("antiforgery_header")] string AntiforgeryHeader,
    [property: JsonPropertyName("antiforgery_token")] string AntiforgeryToken);

/// <summary>
/// The jobs page's sign-in: a form trades a key for an HTTP-only, same-site session cookie, because the page's
/// <c>EventSource</c> cannot send headers. Both form posts need the antiforgery token that <c>GET /session</c> hands out.
/// </summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("").WithTags("Session").AllowAnonymous();
        session.MapGet("/session", GetSession)
            .WithName("GetSession")
            .WithSummary("Who this browser is signed in as, and its antiforgery token")
            .WithDescription("Open to everyone. access: 'keys' (keys are configured) or 'open' (none: everything is allowed). " +
                "authenticated/via/scope describe this request (via: session, api-key or open). The token goes in the " +
                "X-CSRF-TOKEN header of the sign-in and sign-out posts and of every write made with the session cookie.")
            .Produces<SessionView>();
        session.MapPost("/session", SignInAsync)
            .WithName("SignIn")
            .WithSummary("Sign in: trade an API key for a session cookie")
            .WithDescription("Form field api_key (a read or a write key) and the antiforgery token. 204 sets the HTTP-only, " +
                "same-site cookie shield.session; the session has the key's scope and ends when the key is no longer configured.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .DisableAntiforgery()
            .ValidateAntiforgery();
        // As a Delegate: a method taking only HttpContext would otherwise bind as a RequestDelegate, dropping its typed result.
        session.MapPost("/session/sign-out", (Delegate)SignOutAsync)
            .WithName("SignOut")
            .WithSummary("Sign out: end the session cookie")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .DisableAntiforgery()
            .ValidateAntiforgery();
        return app;
    }

    private static Ok<SessionView> GetSession(HttpContext context, IAntiforgery antiforgery, ApiKeyStore keys)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var identity = context.User.Identity;
        var authenticated = identity?.IsAuthenticated == true;
        return TypedResults.Ok(new SessionView(
            keys.IsOpen ? "open" : "keys",
            authenticated,
            authenticated ? identity!.AuthenticationType : null,
            authenticated ? ShieldPrincipals.ScopeOf(context.User) : null,
            ApiSecurityExtensions.AntiforgeryHeader,
            tokens.RequestToken!));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SignInAsync(
        [FromForm(Name = "api_key")] string? apiKey, HttpContext context, ApiKeyStore keys)
    {
        if (keys.IsOpen)
        {
            return TypedResults.Problem("No API key is configured, so the Api is open and there is nothing to sign in to.",
                statusCode: StatusCodes.Status409Conflict, title: "Open access");
        }
        if (string.IsNullOrEmpty(apiKey))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["api_key"] = ["api_key is required."] },
                title: "The sign-in form is incomplete");
        }
        if (keys.Find(apiKey) is not { } key)
        {
            context.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{ApiKeys.Header}\"";
            return TypedResults.Problem("The API key is not valid.", statusCode: StatusCodes.Status401Unauthorized, title: "API key required");
        }
        await context.SignInAsync(ShieldSchemes.Session, ShieldPrincipals.ForKey(key, ShieldAuthenticationTypes.Session),
            new AuthenticationProperties { IsPersistent = false });
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> SignOutAsync(HttpContext context)
    {
        await context.SignOutAsync(ShieldSchemes.Session);
        return TypedResults.NoContent();
    }
}
