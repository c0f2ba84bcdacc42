using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Shield.AppHost.Ollama;

/// <summary>The two Ollama REST calls the AppHost needs; OllamaSharp would be a dependency for two requests.</summary>
internal static class OllamaApi
{
    // Pulls stream for minutes (gigabytes on a slow line); each call sets its own deadline instead.
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public static async Task<bool> HasModelAsync(Uri server, string model, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));

        using var document = await Http.GetFromJsonAsync<JsonDocument>(new Uri(server, "/api/tags"), timeout.Token)
            .ConfigureAwait(false);
        if (document is null || !document.RootElement.TryGetProperty("models", out var models))
        {
            return false;
        }

        // Ollama lists an untagged pull as "name:latest".
        var wanted = model.Contains(':', StringComparison.Ordinal) ? model : $"{model}:latest";
        return models.EnumerateArray()
            .Select(m => m.TryGetProperty("name", out var n) ? n.GetString() : null)
            .Any(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>POST /api/pull, streaming, logging each phase and every tenth of a download.</summary>
    public static async Task PullAsync(Uri server, string model, ILogger logger, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromHours(2));

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/api/pull"))
        {
            Content = JsonContent.Create(new { model, stream = true }),
        };
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token)
            .ConfigureAwait(false);
        response.EnsureSuccessStatusCode();

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false));
        string? lastStatus = null;
        var lastTenth = -1L;
        while (await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var message = JsonDocument.Parse(line);
            var root = message.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"Ollama could not pull {model}: {error.GetString()}");
            }

            var status = root.TryGetProperty("status", out var s) ? s.GetString() : null;
            if (status != lastStatus)
            {
                logger.LogInformation("{Model}: {Status}", model, status);
                lastStatus = status;
                lastTenth = -1;
            }

            if (root.TryGetProperty("total", out var total) && root.TryGetProperty("completed", out var completed)
                && total.GetInt64() > 0)
            {
                var tenth = completed.GetInt64() * 10 / total.GetInt64();
                if (tenth != lastTenth)
                {
                    logger.LogInformation("{Model}: {Percent}% of {Megabytes} MB", model, tenth * 10, total.GetInt64() / 1_000_000);
                    lastTenth = tenth;
                }
            }

            if (status == "success")
            {
                return;
            }
        }

        throw new InvalidOperationException($"Ollama closed the pull of {model} before reporting success.");
    }
}

/// <summary>Healthy once the parent server lists the model.</summary>
internal sealed class OllamaModelHealthCheck(OllamaModelResource model) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var server = model.Parent.ServerUri;
            return await OllamaApi.HasModelAsync(server, model.ModelName, cancellationToken).ConfigureAwait(false)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{model.ModelName} is not pulled yet");
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or JsonException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"Ollama did not answer: {ex.Message}", ex);
        }
    }
}
