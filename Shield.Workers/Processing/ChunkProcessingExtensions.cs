using Shield.Knowledge;
using Shield.Workers.Extraction;
using Shield.Workers.Graph;

namespace Shield.Workers.Processing;

public static class ChunkProcessingExtensions
{
    /// <summary>
    /// The LightRAG chunk pipeline with the embedded defaults: offline extraction, all-MiniLM-L6-v2 in process and
    /// the PostgreSQL vector store.
    /// </summary>
    public static IHostApplicationBuilder AddChunkProcessing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddEmbeddedKnowledgeBase();
        // Without a chat model configured, extraction and summaries use the offline development defaults.
        builder.Services.AddSingleton<IEntityExtractor, OfflineEntityExtractor>();
        builder.Services.AddSingleton<IDescriptionSummarizer, ExtractiveDescriptionSummarizer>();
        builder.Services.AddScoped<KnowledgeGraphStore>();
        builder.Services.AddScoped<IChunkProcessor, LightRagChunkProcessor>();
        return builder;
    }
}
