using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Shield.Api.Security;

/// <summary>The authentication schemes: API keys, the jobs page's session cookie, and the policy scheme that picks one.</summary>
public static class ShieldSchemes
{
    /// <summary>The default scheme: forwards to <see cref="ApiKey"/> when the request presents a key, else to <see cref="Session"/>.</summary>
    public const string Default = "shield";
    public const string ApiKey = "api-key";
    public const string Session = "session";
}

/// <summary>The authorization policies every endpoint is under (<see cref="ShieldEndpointGroups"/>).</summary>
public static class ShieldPolicies
{
    public const string Read = "read";
    public const string Write = "write";
}

public static partial class ApiSecurityExtensions
{
    public const string ReadRateLimit = "reads";
    public const string WriteRateLimit = "writes";

    /// <summary>The header the jobs page sends its antiforgery token in.</summary>
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";

    /// <summary>Where the data-protection keys (which sign session cookies and antiforgery tokens) live, shared by every Api replica.</summary>
    public const string DataProtectionKeysKey = "shield:data-protection-keys";

    /// <summary>
    /// Read and write keys (<see cref="ApiKeyAuthenticationHandler"/>), the jobs page's session cookie, the
    /// <c>read</c> and <c>write</c> policies with <c>read</c> as the fallback for anything mapped without one,
    /// antiforgery, per-client rate limits on reads and writes, event-stream limits, and CORS (closed unless
    /// origins are configured).
    /// </summary>
    public static IHostApplicationBuilder AddApiSecurity(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ApiSecurityOptions.SectionName);
        builder.Services.AddOptions<ApiSecurityOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ApiSecurityOptions>, ApiSecurityOptionsValidator>();
        builder.Services.AddSingleton<ApiKeyStore>();
        var settings = section.Get<ApiSecurityOptions>() ?? new ApiSecurityOptions();

        builder.Services.AddAuthentication(ShieldSchemes.Default)
            .AddPolicyScheme(ShieldSchemes.Default, "API key or session", scheme =>
            {
                scheme.ForwardDefaultSelector = context =>
                    context.RequestServices.GetRequiredService<ApiKeyStore>().IsOpen || ApiKeys.FromRequest(context.Request) is not null
                        ? ShieldSchemes.ApiKey
                        : ShieldSchemes.Session;
                // Whichever scheme authenticated, refusals are the Api's problem documents, never a redirect to a login page.
                scheme.ForwardChallenge = ShieldSchemes.ApiKey;
                scheme.ForwardForbid = ShieldSchemes.ApiKey;
            })
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ShieldSchemes.ApiKey, "API key", _ => { })
            .AddCookie(ShieldSchemes.Session, "Jobs page session", cookie =>
            {
                cookie.Cookie.Name = "shield.session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(settings.SessionHours);
                cookie.SlidingExpiration = true;
                cookie.Events.OnValidatePrincipal = ValidateSessionAsync;
            });

        var read = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(ShieldClaims.Scope, AccessScopes.Read, AccessScopes.Write).Build();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ShieldPolicies.Read, read)
            .AddPolicy(ShieldPolicies.Write, policy => policy.RequireAuthenticatedUser().RequireClaim(ShieldClaims.Scope, AccessScopes.Write))
            // Closed by default: an endpoint mapped without a policy (or a request that matches none) needs a read key.
            .SetFallbackPolicy(read);

        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.HeaderName = AntiforgeryHeader;
            antiforgery.Cookie.Name = "shield.antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
        });
        builder.Services.AddDataProtection().SetApplicationName("Shield.Api");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((options, redis) =>
            options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), DataProtectionKeysKey));

        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(WriteRateLimit, context => PerClientBucket(context, settings.IngestRequestsPerMinute));
            limiter.AddPolicy(ReadRateLimit, context => PerClientBucket(context, settings.ReadRequestsPerMinute));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(10);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var writes = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == WriteRateLimit;
                await TypedResults.Problem(
                    writes
                        ? $"Too many write requests from this client (Shield:Api:IngestRequestsPerMinute, {settings.IngestRequestsPerMinute}); wait for Retry-After seconds."
                        : $"Too many read requests from this client (Shield:Api:ReadRequestsPerMinute, {settings.ReadRequestsPerMinute}); wait for Retry-After seconds.",
                    statusCode: StatusCodes.Status429TooManyRequests, title: "Rate limit exceeded").ExecuteAsync(context.HttpContext);
            };
        });

        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            if (settings.CorsOrigins.Length > 0)
            {
                policy.WithOrigins(settings.CorsOrigins).AllowAnyHeader().WithMethods("GET", "POST", "DELETE");
            }
        }));
        return builder;
    }

    /// <summary>
    /// Authentication, authorization, antiforgery and rate limiting, in that order: a request is known before it is
    /// limited, so a client's budget is its key's, and refused requests spend none. Logs on every start whether the
    /// Api is open.
    /// </summary>
    public static WebApplication UseApiSecurity(this WebApplication app)
    {
        var keys = app.Services.GetRequiredService<ApiKeyStore>();
        if (keys.IsOpen)
        {
            LogOpenAccess(app.Logger, app.Environment.EnvironmentName);
        }
        else
        {
            LogClosedAccess(app.Logger, keys.WriteKeyCount, keys.ReadKeyCount);
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseRateLimiter();
        return app;
    }

    private static RateLimitPartition<string> PerClientBucket(HttpContext context, int perMinute) =>
        RateLimitPartition.GetTokenBucketLimiter(ShieldPrincipals.ClientOf(context), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = perMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });

    /// <summary>A session lasts only while the key it was signed in with is configured with the same scope.</summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var keys = context.HttpContext.RequestServices.GetRequiredService<ApiKeyStore>();
        var fingerprint = context.Principal?.FindFirst(ShieldClaims.KeyFingerprint)?.Value;
        var key = fingerprint is null ? null : keys.FindByFingerprint(fingerprint);
        if (key is null || key.Scope != ShieldPrincipals.ScopeOf(context.Principal!))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(ShieldSchemes.Session);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Shield.Api runs OPEN (environment {Environment}): no API key is configured, so anyone who can reach it reads and writes everything. Set the AppHost parameter api-key (dotnet user-secrets --project Shield.AppHost set Parameters:api-key ...) to close it.")]
    private static partial void LogOpenAccess(ILogger logger, string environment);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Shield.Api is closed: {WriteKeys} write key(s) and {ReadKeys} read key(s) configured; /health and /alive stay open.")]
    private static partial void LogClosedAccess(ILogger logger, int writeKeys, int readKeys);
}
