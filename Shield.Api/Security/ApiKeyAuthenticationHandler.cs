using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Shield.Api.Security;

public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// The API-key scheme: a key in <c>X-Api-Key</c> or <c>Authorization: Bearer</c> becomes a principal with the
/// key's scope (<see cref="ShieldClaims.Scope"/>). With no key configured every request is the open principal.
/// Its challenge and forbid answers are the Api's 401 and 403 problem documents, whichever scheme authenticated.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    private const string InvalidKey = "The API key is not valid.";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (keys.IsOpen)
        {
            return Task.FromResult(Success(ShieldPrincipals.Open(Context)));
        }
        if (ApiKeys.FromRequest(Request) is not { } presented)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        return Task.FromResult(keys.Find(presented) is { } key
            ? Success(ShieldPrincipals.ForKey(key, ShieldAuthenticationTypes.ApiKey))
            : AuthenticateResult.Fail(InvalidKey));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var presentedKey = (await HandleAuthenticateOnceSafeAsync()).Failure is not null;
        if (!presentedKey && IsPageNavigation(Request))
        {
            // A person opening a protected page (the API reference, say) signs in on the jobs page and comes back.
            Response.Redirect("/?return_url=" + Uri.EscapeDataString(Request.PathBase + Request.Path + Request.QueryString));
            return;
        }
        Response.Headers.WWWAuthenticate = new([$"ApiKey header=\"{ApiKeys.Header}\"", "Bearer"]);
        await TypedResults.Problem(
            presentedKey ? InvalidKey
                : $"This endpoint needs an API key in the {ApiKeys.Header} header (or Authorization: Bearer), or a session from signing in on the jobs page.",
            statusCode: StatusCodes.Status401Unauthorized, title: "API key required").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await TypedResults.Problem(
            "This key (or session) may read but not write: ingest, retry and cancel need a write key (AppHost parameter api-key).",
            statusCode: StatusCodes.Status403Forbidden, title: "Write key required").ExecuteAsync(Context);

    private AuthenticateResult Success(System.Security.Claims.ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));

    private static bool IsPageNavigation(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
}
