using System.Security.Claims;

namespace Shield.Api.Security;

/// <summary>The claims Shield's schemes issue and its policies and limits read.</summary>
public static class ShieldClaims
{
    /// <summary><see cref="AccessScopes.Read"/> or <see cref="AccessScopes.Write"/>. A later scheme (JWT bearer, say) maps its scopes to this claim.</summary>
    public const string Scope = "scope";

    /// <summary>Who a limit counts against: <c>key:{fingerprint}</c>, or <c>ip:{address}</c> when the Api is open.</summary>
    public const string Client = "shield:client";

    /// <summary>The fingerprint of the key a principal came from (a session keeps it to be checked on every request).</summary>
    public const string KeyFingerprint = "shield:key";
}

/// <summary>How a principal was authenticated (its identity's <see cref="ClaimsIdentity.AuthenticationType"/>).</summary>
public static class ShieldAuthenticationTypes
{
    public const string ApiKey = "api-key";
    public const string Session = "session";
    public const string Open = "open";
}

public static class ShieldPrincipals
{
    public static ClaimsPrincipal ForKey(ApiKeyIdentity key, string authenticationType) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, $"{key.Scope} key {key.Fingerprint}"),
            new Claim(ShieldClaims.Scope, key.Scope),
            new Claim(ShieldClaims.KeyFingerprint, key.Fingerprint),
            new Claim(ShieldClaims.Client, "key:" + key.Fingerprint),
        ], authenticationType, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>Anyone, when no key is configured: may write, and is told apart from others by address.</summary>
    public static ClaimsPrincipal Open(HttpContext context) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, "anonymous (open access)"),
            new Claim(ShieldClaims.Scope, AccessScopes.Write),
            new Claim(ShieldClaims.Client, AddressOf(context)),
        ], ShieldAuthenticationTypes.Open, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>The client a rate limit or stream limit counts against.</summary>
    public static string ClientOf(HttpContext context) =>
        context.User.FindFirstValue(ShieldClaims.Client) ?? AddressOf(context);

    public static string? ScopeOf(ClaimsPrincipal user) => user.FindFirstValue(ShieldClaims.Scope);

    private static string AddressOf(HttpContext context) => "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
