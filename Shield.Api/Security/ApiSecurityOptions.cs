using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Shield.Api.Security;

/// <summary>Access control and per-client limits of the Api (section <c>Shield:Api</c>).</summary>
public sealed class ApiSecurityOptions
{
    public const string SectionName = "Shield:Api";

    /// <summary>Shortest key accepted: keys are compared, not rate-limited, so they must be too long to guess.</summary>
    public const int MinimumKeyLength = 16;

    /// <summary>
    /// Write keys, comma-separated: each reads and writes (ingest, retry, cancel). The AppHost passes the secret
    /// parameter <c>api-key</c>. More than one key lets a key be rotated without a moment when clients are refused.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Read keys, comma-separated: jobs, events, graph, query, detailed health, OpenAPI and the API reference. Parameter <c>api-read-key</c>.</summary>
    public string? ReadApiKey { get; set; }

    /// <summary>
    /// Outside Development the Api refuses to start without a key; <c>true</c> lets it run open on purpose
    /// (behind a gateway that authenticates, say).
    /// </summary>
    public bool AllowOpenAccess { get; set; }

    /// <summary>Origins allowed to call the Api from a browser. Empty (the default) means CORS stays closed.</summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>Write requests (ingest, retry, cancel) one client may make per minute, with the same again as burst.</summary>
    [Range(1, 1_000_000)]
    public int IngestRequestsPerMinute { get; set; } = 600;

    /// <summary>Read requests one client may make per minute, with the same again as burst.</summary>
    [Range(1, 10_000_000)]
    public int ReadRequestsPerMinute { get; set; } = 6000;

    /// <summary>Event streams one client (key, session or, when open, address) may hold open at once.</summary>
    [Range(1, 100_000)]
    public int MaxEventStreamsPerClient { get; set; } = 16;

    /// <summary>Event streams the Api holds open at once, all clients together.</summary>
    [Range(1, 1_000_000)]
    public int MaxEventStreams { get; set; } = 500;

    /// <summary>Hours a jobs-page session lasts after its last request (sliding).</summary>
    [Range(1, 720)]
    public int SessionHours { get; set; } = 8;

    public IReadOnlyList<string> WriteKeys => Split(ApiKey);

    public IReadOnlyList<string> ReadKeys => Split(ReadApiKey);

    private static string[] Split(string? keys) =>
        keys?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
}

/// <summary>What data annotations cannot say: key lengths, a key in both scopes, and no keys outside Development.</summary>
public sealed class ApiSecurityOptionsValidator(IHostEnvironment environment) : IValidateOptions<ApiSecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiSecurityOptions options)
    {
        var failures = new List<string>();
        // Never the key itself in a message: only which setting and which position.
        foreach (var (setting, keys) in new[] { ("ApiKey", options.WriteKeys), ("ReadApiKey", options.ReadKeys) })
        {
            for (var i = 0; i < keys.Count; i++)
            {
                if (keys[i].Length < ApiSecurityOptions.MinimumKeyLength)
                {
                    failures.Add($"{ApiSecurityOptions.SectionName}:{setting}: key {i + 1} of {keys.Count} is shorter than " +
                        $"{ApiSecurityOptions.MinimumKeyLength} characters; use a long random key (openssl rand -hex 32).");
                }
            }
        }
        if (options.WriteKeys.Intersect(options.ReadKeys, StringComparer.Ordinal).Any())
        {
            failures.Add($"{ApiSecurityOptions.SectionName}: a key is both a write key (ApiKey) and a read key (ReadApiKey); give each scope its own keys.");
        }
        if (options.WriteKeys.Count == 0 && options.ReadKeys.Count > 0)
        {
            failures.Add($"{ApiSecurityOptions.SectionName}: read keys are set but no write key (ApiKey, parameter api-key): nobody could ingest.");
        }
        if (options.WriteKeys.Count == 0 && !environment.IsDevelopment() && !options.AllowOpenAccess)
        {
            failures.Add($"{ApiSecurityOptions.SectionName}:ApiKey is not set (AppHost parameter api-key) and the environment is " +
                $"'{environment.EnvironmentName}': the Api would be open to anyone who can reach it. Set a key, or " +
                $"{ApiSecurityOptions.SectionName}:AllowOpenAccess=true to run open on purpose.");
        }
        if (options.MaxEventStreamsPerClient > options.MaxEventStreams)
        {
            failures.Add($"{ApiSecurityOptions.SectionName}:MaxEventStreamsPerClient ({options.MaxEventStreamsPerClient}) is more than MaxEventStreams ({options.MaxEventStreams}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
