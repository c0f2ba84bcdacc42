using Microsoft.Extensions.AI;

namespace Shield.Workers.Processing;

public static class ChunkProcessingExtensions
{
    /// <summary>
    /// The chunk pipeline with the embedded defaults: all-MiniLM-L6-v2 in process and the PostgreSQL vector store.
    /// </summary>
    public static IHostApplicationBuilder AddChunkProcessing(this IHostApplicationBuilder builder)
    {
        // One model instance per process: loading the ONNX graph takes a while and it is safe to share.
        builder.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>, MiniLmEmbeddingGenerator>();
        builder.Services.AddScoped<IVectorStore, PostgresVectorStore>();
        builder.Services.AddScoped<IChunkProcessor, EmbeddingChunkProcessor>();
        return builder;
    }
}
