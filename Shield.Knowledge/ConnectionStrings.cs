using System.Data.Common;

namespace Shield.Knowledge;

/// <summary>
/// Reads the Aspire connection strings of the model and vector servers: <c>Endpoint=...;Model=...</c> (Ollama,
/// as the community toolkit writes them) and <c>Endpoint=...;Key=...</c> (Qdrant, as Aspire.Hosting.Qdrant does).
/// </summary>
public static class ConnectionStrings
{
    /// <summary>The <c>Endpoint</c> as an absolute URI and any other key in <paramref name="connectionString"/>.</summary>
    public static (Uri Endpoint, Func<string, string?> Value) Parse(string name, string connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:{name} is not a connection string of the form Endpoint=...;Key=value: {ex.Message}", ex);
        }

        string? Value(string key) => builder.TryGetValue(key, out var value) && value?.ToString() is { Length: > 0 } text ? text : null;

        if (Value("Endpoint") is not { } endpoint || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"ConnectionStrings:{name} needs Endpoint=http(s)://host:port.");
        }
        return (uri, Value);
    }

    /// <summary>
    /// Only the <c>Endpoint</c> of a connection string, as written, for health answers and logs: keys and passwords
    /// never reach them. <c>(configured)</c> when there is no readable endpoint.
    /// </summary>
    public static string EndpointOnly(string connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return "(configured)";
        }
        return builder.TryGetValue("Endpoint", out var endpoint) && endpoint?.ToString()?.Trim() is { Length: > 0 } text ? text : "(configured)";
    }
}
