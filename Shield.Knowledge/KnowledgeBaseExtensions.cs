using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
    public static IHostApplicationBuilder AddKnowledgeBase(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.HasConnectionString(EmbeddingsConnection))
        {
            builder.AddOllamaEmbeddingGenerator(EmbeddingsConnection);
        }
        else
        {
            // One model instance per process: loading the ONNX graph takes a while and it is safe to share.
            builder.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>, MiniLmEmbeddingGenerator>();
        }

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
        return builder;
    }
}
