using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Shield.Knowledge.Embeddings;
using Shield.Knowledge.ModelCache;
using Shield.Knowledge.Ollama;
using Shield.Knowledge.Qdrant;

namespace Shield.Knowledge;

public static class KnowledgeBaseExtensions
{
    /// <summary>The connection names the AppHost gives its Qdrant and embedding-model resources.</summary>
    public const string QdrantConnection = "qdrant";
    public const string EmbeddingsConnection = "embeddings";

    /// <summary>
    /// The embedding model and vector store this process uses, live where the AppHost (or configuration) gives a
    /// connection string, embedded otherwise: <c>ConnectionStrings:embeddings</c> → the Ollama model, else
    /// all-MiniLM-L6-v2 in process; <c>ConnectionStrings:qdrant</c> → Qdrant, else the PostgreSQL <c>vectors</c>
    /// table. Needs the <c>ShieldDbContext</c> registered beside it.
    /// </summary>
    /// <remarks>
    /// Every embedding goes through the same pipeline, outermost first: cut to the model's input limit, looked up in
    /// the model cache (Microsoft.Extensions.AI's caching middleware), counted, batched with other callers' texts up to
    /// <see cref="EmbeddingOptions.BatchSize"/>, and only then sent to the model.
    /// </remarks>
    public static IHostApplicationBuilder AddKnowledgeBase(this IHostApplicationBuilder builder)
    {
        builder.AddModelCache();
        builder.Services.AddOptions<EmbeddingOptions>()
            .BindConfiguration(EmbeddingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var remote = builder.Configuration.HasConnectionString(EmbeddingsConnection);
        EmbeddingGeneratorBuilder<string, Embedding<float>> embeddings;
        if (remote)
        {
            builder.Services.TryAddSingleton<ModelCallHealth>();
            embeddings = builder.Services.AddEmbeddingGenerator(services =>
                OllamaClientExtensions.CreateEmbeddingGenerator(services, builder.Configuration, EmbeddingsConnection));
        }
        else
        {
            // One model instance per process: loading the ONNX graph takes a while and it is safe to share.
            builder.Services.TryAddSingleton<MiniLmEmbeddingGenerator>();
            embeddings = builder.Services.AddEmbeddingGenerator(services => services.GetRequiredService<MiniLmEmbeddingGenerator>());
        }
        embeddings
            .Use((inner, services) => remote
                ? new TruncatingEmbeddingGenerator(inner, services.GetRequiredService<IOptions<EmbeddingOptions>>().Value.MaxInputTokens * 4)
                : inner)
            .Use((inner, services) => services.GetRequiredService<IOptions<ModelCacheOptions>>().Value.Enabled
                ? new DistributedCachingEmbeddingGenerator<string, Embedding<float>>(inner, services.ModelCacheFor(ModelCacheStats.Embeddings))
                {
                    CacheKeyAdditionalValues = [ModelKey(inner)],
                }
                : inner)
            .Use((inner, services) => new CountingEmbeddingGenerator(inner, services.GetRequiredService<ModelCacheStats>()))
            .Use((inner, services) =>
            {
                var options = services.GetRequiredService<IOptions<EmbeddingOptions>>().Value;
                // The in-process model uses every core for one call; more at once would only thrash them.
                return new BatchingEmbeddingGenerator(inner, options.BatchSize, remote ? options.MaxConcurrentCalls : 1);
            })
            .UseOpenTelemetry();

        if (builder.Configuration.HasConnectionString(QdrantConnection))
        {
            builder.AddQdrantClient(QdrantConnection);
            builder.Services.AddOptions<QdrantOptions>()
                .BindConfiguration(QdrantOptions.SectionName)
                .ValidateDataAnnotations()
                .ValidateOnStart();
            builder.Services.AddSingleton<QdrantCollections>();
            builder.Services.AddHostedService<QdrantCollectionsInitializer>();
            builder.Services.AddSingleton<IVectorStore, QdrantVectorStore>();
        }
        else
        {
            builder.Services.AddScoped<IVectorStore, PostgresVectorStore>();
        }
        builder.Services.TryAddSingleton<ChunkVectorWriter>();
        return builder;
    }

    /// <summary>The durable cache of model answers and embeddings (idempotent: chat and embeddings both ask for it).</summary>
    public static IHostApplicationBuilder AddModelCache(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(s => s.ServiceType == typeof(PostgresDistributedCache)))
        {
            return builder;
        }
        builder.Services.AddOptions<ModelCacheOptions>()
            .BindConfiguration(ModelCacheOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ModelCacheStats>();
        builder.Services.AddSingleton<PostgresDistributedCache>();
        return builder;
    }

    /// <summary>What identifies the embedding model in a cache key: the same text from another model is another vector.</summary>
    private static string ModelKey(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        return $"{metadata?.ProviderName}/{metadata?.DefaultModelId}/{metadata?.DefaultModelDimensions}";
    }
}
