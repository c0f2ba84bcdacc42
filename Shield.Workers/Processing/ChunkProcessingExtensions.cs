using Shield.Knowledge;
using Shield.Knowledge.Ollama;
using Shield.Workers.Documents;
using Shield.Workers.Extraction;
using Shield.Knowledge.ModelCache;
using Shield.Workers.Finalization;
using Shield.Workers.Graph;

namespace Shield.Workers.Processing;

public static class ChunkProcessingExtensions
{
    /// <summary>The connection name of the AppHost's chat-model resource.</summary>
    public const string ChatConnection = "chat";

    /// <summary>
    /// The LightRAG chunk pipeline. Live parts where the AppHost gives connection strings (a chat model for
    /// extraction and summaries, an embedding model, Qdrant), embedded development defaults otherwise: the offline
    /// extractor, extractive summaries, all-MiniLM-L6-v2 in process and the PostgreSQL vector store.
    /// </summary>
    public static IHostApplicationBuilder AddChunkProcessing(this IHostApplicationBuilder builder)
    {
        builder.AddKnowledgeBase();
        if (builder.Configuration.HasConnectionString(ChatConnection))
        {
            builder.AddOllamaChatClient(ChatConnection);
            builder.Services.AddLlmEntityExtraction(builder.Configuration);
            builder.Services.AddSingleton<IDescriptionSummarizer, ChatDescriptionSummarizer>();
        }
        else
        {
            builder.Services.AddSingleton<IEntityExtractor, OfflineEntityExtractor>();
            builder.Services.AddSingleton<IDescriptionSummarizer, ExtractiveDescriptionSummarizer>();
        }
        builder.Services.AddScoped<KnowledgeGraphStore>();
        builder.Services.AddSingleton<ExtractionSettings>();
        builder.Services.AddScoped<IChunkProcessor, LightRagChunkProcessor>();
        builder.Services.AddOptions<FinalizationOptions>()
            .BindConfiguration(FinalizationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<JobFinalizer>();
        builder.Services.AddScoped<DocumentDeleter>();
        builder.Services.AddScoped<DocumentDeletionJob>();
        // The model cache's bounds are kept by the Workers, the processes that fill it.
        builder.Services.AddHostedService<ModelCacheTrimmer>();
        return builder;
    }
}
