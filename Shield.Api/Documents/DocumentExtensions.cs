using Shield.Documents.Chunking;

namespace Shield.Api.Documents;

public static class DocumentExtensions
{
    public static IHostApplicationBuilder AddDocuments(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DocumentLimits>()
            .Bind(builder.Configuration.GetSection(DocumentLimits.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // LightRAG's defaults (o200k_base, 1,200 tokens, 100 overlap), the same chunker the CLI cuts with.
        builder.Services.AddSingleton(new TokenChunker());
        builder.Services.AddSingleton<DocumentUploadReader>();
        return builder;
    }
}
