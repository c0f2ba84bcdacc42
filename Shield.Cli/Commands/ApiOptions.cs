using Shield.Cli.Api;

namespace Shield.Cli.Commands;

/// <summary>Where the Api is (<c>--api</c>, else <c>SHIELD_API</c>, else localhost:8000) and its key (<c>--api-key</c>, else <c>SHIELD_API_KEY</c>).</summary>
public static class ApiOptions
{
    public const string ApiOption = "api";
    public const string ApiKeyOption = "api-key";
    public const string ApiVariable = "SHIELD_API";
    public const string ApiKeyVariable = "SHIELD_API_KEY";

    public static ApiSettings Resolve(CommandLine line)
    {
        var url = line.Option(ApiOption) ?? NonEmpty(Environment.GetEnvironmentVariable(ApiVariable)) ?? ApiSettings.DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CommandLineException($"'{url}' is not an http(s) URL for the Shield API.");
        }
        // Endpoint paths are resolved relative to the base, which therefore must end in a slash.
        if (!uri.AbsolutePath.EndsWith('/')) uri = new Uri(uri.GetLeftPart(UriPartial.Path) + "/");
        var key = line.Option(ApiKeyOption) ?? NonEmpty(Environment.GetEnvironmentVariable(ApiKeyVariable));
        return new ApiSettings(uri, key);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
