using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OllamaSharp;
using Shield.Knowledge.ModelCache;

namespace Shield.Knowledge.Ollama;

/// <summary>
/// Stand-in for the community toolkit's Ollama client integration (not served by this package feed): reads
/// <c>ConnectionStrings:{name}</c> = <c>Endpoint=http://host:11434;Model=...</c> and registers OllamaSharp's
/// client behind <see cref="IChatClient"/>, answers cached by Microsoft.Extensions.AI's caching middleware over the
/// model cache and traced with OpenTelemetry's generative-AI conventions.
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
        builder.AddModelCache();
        builder.Services.TryAddSingleton<ModelCallHealth>();
        // The cache is outermost: an answer the model gave once (an extraction, a gleaning, a summary) is never asked
        // for again, not by a retry, a reclaim after a crash or a re-ingestion, and costs no model-call span.
        return builder.Services.AddChatClient(client)
            .Use((inner, services) => services.GetRequiredService<IOptions<ModelCacheOptions>>().Value.Enabled
                ? new DistributedCachingChatClient(inner, services.ModelCacheFor(ModelCacheStats.Chat))
                {
                    // The prompt and options are in the key already; the model that answers is not.
                    CacheKeyAdditionalValues = ["ollama", client.SelectedModel],
                }
                : inner)
            .Use((inner, services) => new HealthTrackingChatClient(inner, services.GetRequiredService<ModelCallHealth>()))
            .UseOpenTelemetry();
    }

    /// <summary>The embedding model of <c>ConnectionStrings:{name}</c>, with <see cref="ModelCallHealth"/> reporting on it.</summary>
    internal static IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddingGenerator(IServiceProvider services, IConfiguration configuration, string connectionName)
    {
        var timeout = TimeSpan.FromSeconds(configuration.GetValue(EmbeddingTimeoutKey, 30));
        return new HealthTrackingEmbeddingGenerator(CreateClient(configuration, connectionName, timeout), services.GetRequiredService<ModelCallHealth>());
    }

    /// <summary>The model cache as one kind of caller uses it, counted for <c>/health/detailed</c>.</summary>
    internal static IDistributedCache ModelCacheFor(this IServiceProvider services, string kind) =>
        new CountingDistributedCache(services.GetRequiredService<PostgresDistributedCache>(), services.GetRequiredService<ModelCacheStats>(), kind);

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
