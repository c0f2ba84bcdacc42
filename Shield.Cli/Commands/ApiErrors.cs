using Shield.Cli.Api;

namespace Shield.Cli.Commands;

/// <summary>How a command that makes one request reports the Api's refusal or absence: on stderr, then exit code 1.</summary>
public static class ApiErrors
{
    /// <summary>The Api answered with an error, or could not be reached.</summary>
    public static bool IsApiError(Exception exception) => exception is ShieldApiException or ApiUnreachableException;

    public static async Task<int> ReportAsync(TextWriter error, Exception exception)
    {
        if (exception is ShieldApiException api)
        {
            await error.WriteLineAsync($"error: {api.Problem}");
            if (api.IsAccessDenied) await error.WriteLineAsync($"Give the API key with --api-key or {ApiOptions.ApiKeyVariable}.");
        }
        else
        {
            await error.WriteLineAsync($"error: {exception.Message}");
        }
        return ExitCodes.Failure;
    }
}
