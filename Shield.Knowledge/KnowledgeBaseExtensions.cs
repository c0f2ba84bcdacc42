using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Shield.Knowledge;

public static class KnowledgeBaseExtensions
{
    /// <summary>
    /// The embedded knowledge-base defaults: all-MiniLM-L6-v2 in process and the PostgreSQL vector store. Needs the
    /// <c>ShieldDbContext</c> registered beside it.
    /// </summary>
    public static IServiceCollection AddEmbeddedKnowledgeBase(this IServiceCollection services)
    {
        // One model instance per process: loading the ONNX graph takes a while and it is safe to share.
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>, MiniLmEmbeddingGenerator>();
        services.AddScoped<IVectorStore, PostgresVectorStore>();
        return services;
    }
}
