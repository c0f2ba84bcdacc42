using System.CommandLine;
using System.CommandLine.Parsing;
using Shield.Cli.Api;

namespace Shield.Cli.Commands;

/// <summary>
/// Where the Api is (<c>--api</c>, else <c>$SHIELD_API</c>, else localhost:8000) and its key (<c>--api-key</c>, else
/// <c>$SHIELD_API_KEY</c>): options of the root command that every command inherits.
/// </summary>
public sealed class ApiOptions
{
    public const string ApiVariable = "SHIELD_API";
    public const string ApiKeyVariable = "SHIELD_API_KEY";

    public Option<Uri> Url { get; } = new("--api")
    {
        Description = $"The Shield API's base URL (${ApiVariable} when not given)",
        HelpName = "URL",
        Recursive = true,
        CustomParser = result => ParseUrl(result, result.Tokens[0].Value, "--api"),
        DefaultValueFactory = result => ParseUrl(result, NonEmpty(Environment.GetEnvironmentVariable(ApiVariable)) ?? ApiSettings.DefaultUrl, "$" + ApiVariable),
    };

    /// <summary>Read from the environment only when a command runs, so that help never prints a key.</summary>
    public Option<string?> Key { get; } = new("--api-key")
    {
        Description = $"The API key, sent as X-Api-Key (${ApiKeyVariable} when not given)",
        HelpName = "KEY",
        Recursive = true,
    };

    public ApiSettings Resolve(ParseResult parse) => new(
        parse.GetRequiredValue(Url),
        NonEmpty(parse.GetValue(Key)) ?? NonEmpty(Environment.GetEnvironmentVariable(ApiKeyVariable)));

    private static Uri ParseUrl(ArgumentResult result, string url, string source)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            result.AddError($"'{url}' ({source}) is not an http(s) URL for the Shield API.");
            return null!;
        }
        // Endpoint paths are resolved relative to the base, which therefore must end in a slash.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.GetLeftPart(UriPartial.Path) + "/");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
