using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Shield.Workers.Extraction;

public static class ExtractionServiceExtensions
{
    /// <summary>
    /// Model-based extraction: binds and validates <see cref="ExtractionOptions"/> (<c>Shield:Extraction</c>), adds the
    /// process-wide <see cref="ModelCallLimiter"/>, and makes <see cref="LlmEntityExtractor"/> the
    /// <see cref="IEntityExtractor"/> (replacing the offline default). An <c>IChatClient</c> must be registered.
    /// </summary>
    public static IServiceCollection AddLlmEntityExtraction(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ExtractionOptions>()
            .Bind(configuration.GetSection(ExtractionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<ModelCallLimiter>();
        services.Replace(ServiceDescriptor.Singleton<IEntityExtractor, LlmEntityExtractor>());
        return services;
    }
}
