namespace Shield.Api.Ingestion;

public static class IngestionExtensions
{
    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestionLimits>()
            .Bind(builder.Configuration.GetSection(IngestionLimits.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IngestionRequestReader>();
        builder.Services.AddSingleton<IdempotencyKeys>();
        builder.Services.AddSingleton<QueueBacklog>();
        return builder;
    }
}
