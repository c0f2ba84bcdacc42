using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Shield.Api.Security;

public static class ApiSecurityExtensions
{
    public const string IngestionRateLimit = "ingestion";

    /// <summary>API key for writes, per-client rate limiting on ingestion, and CORS (closed unless origins are configured).</summary>
    public static IHostApplicationBuilder AddApiSecurity(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ApiSecurityOptions.SectionName);
        builder.Services.AddOptions<ApiSecurityOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ApiKeyEndpointFilter>();
        var settings = section.Get<ApiSecurityOptions>() ?? new ApiSecurityOptions();

        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(IngestionRateLimit, context => RateLimitPartition.GetTokenBucketLimiter(
                ApiKeys.ClientId(context),
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.IngestRequestsPerMinute,
                    TokensPerPeriod = settings.IngestRequestsPerMinute,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(10);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await TypedResults.Problem("Too many submissions from this client; wait for Retry-After seconds.",
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
}
