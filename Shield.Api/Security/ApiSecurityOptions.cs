using System.ComponentModel.DataAnnotations;

namespace Shield.Api.Security;

/// <summary>Access control for the Api (section <c>Shield:Api</c>).</summary>
public sealed class ApiSecurityOptions
{
    public const string SectionName = "Shield:Api";

    /// <summary>
    /// When set, write endpoints (ingest, retry, cancel) require it in <c>X-Api-Key</c> or
    /// <c>Authorization: Bearer</c>. The AppHost passes it from the secret parameter <c>api-key</c>.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Origins allowed to call the Api from a browser. Empty (the default) means CORS stays closed.</summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>Submissions one client (API key, else remote address) may make per minute, with the same again as burst.</summary>
    [Range(1, 1_000_000)]
    public int IngestRequestsPerMinute { get; set; } = 600;
}
