using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OllamaSharp;

namespace Shield.Knowledge.Ollama;

/// <summary>
/// Stand-in for the community toolkit's Ollama client integration (not served by this package feed): reads
/// <c>ConnectionStrings:{name}</c> = <c>Endpoint=http://host:11434;Model=...</c> and registers OllamaSharp's
/// client behind <see cref="IChatClient"/> or <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>, traced with
/// OpenTelemetry's generative-AI conventions.
/// </summary>
public static class OllamaClientExtensions
{
    /// <summary>Embedding calls get this long (LightRAG's default); chat calls are timed by their caller.</summary>
    public const string EmbeddingTimeoutKey = "Shield:Models:EmbeddingTimeoutSeconds";

    public static bool HasConnectionString(this IConfiguration configuration, string name) =>
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString(name));

    public static ChatClientBuilder AddOllamaChatClient(this IHostApplicationBuilder builder, string connectionName)
    {
        // No whole-call timeout on the HTTP client: an extraction may legitimately take minutes on a CPU, so the
        // extractor bounds each call itself (Shield:Extraction:ModelTimeoutSeconds) and cancels it.
        var client = CreateClient(builder.Configuration, connectionName, Timeout.InfiniteTimeSpan);
        builder.Services.TryAddSingleton<ModelCallHealth>();
        return builder.Services.AddChatClient(client)
            .Use((inner, services) => new HealthTrackingChatClient(inner, services.GetRequiredService<ModelCallHealth>()))
            .UseOpenTelemetry();
    }

    public static EmbeddingGeneratorBuilder<string, Embedding<float>> AddOllamaEmbeddingGenerator(
        this IHostApplicationBuilder builder, string connectionName)
    {
        var timeout = TimeSpan.FromSeconds(builder.Configuration.GetValue(EmbeddingTimeoutKey, 30));
        var client = CreateClient(builder.Configuration, connectionName, timeout);
        builder.Services.TryAddSingleton<ModelCallHealth>();
        return builder.Services.AddEmbeddingGenerator<string, Embedding<float>>(client)
            .Use((inner, services) => new HealthTrackingEmbeddingGenerator(inner, services.GetRequiredService<ModelCallHealth>()))
            .UseOpenTelemetry();
    }

    /// <remarks>
    /// Not an <c>IHttpClientFactory</c> client on purpose: the service defaults give those the standard resilience
    /// handler, whose 30-second total timeout and automatic retries suit neither a model call that takes minutes
    /// nor one that is not idempotent in cost. Failed calls are retried per chunk by the worker pool instead.
    /// </remarks>
    private static OllamaApiClient CreateClient(IConfiguration configuration, string connectionName, TimeSpan timeout)
    {
        var connectionString = configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not configured.");
        var (endpoint, value) = ConnectionStrings.Parse(connectionName, connectionString);
        var model = value("Model")
            ?? throw new InvalidOperationException($"ConnectionStrings:{connectionName} needs Model=<name>, e.g. Endpoint=http://localhost:11434;Model=qwen2.5:3b.");

        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            BaseAddress = endpoint,
            Timeout = timeout,
        };
        return new OllamaApiClient(http, model);
    }
}
