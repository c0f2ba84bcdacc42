using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Shield.Ingestion.Documents;
using Shield.Ingestion.Events;
using Shield.Ingestion.Jobs;

namespace Shield.Ingestion;

public static class IngestionServiceCollectionExtensions
{
    /// <summary>
    /// The job store, the document store and the event log. Needs an <c>IConnectionMultiplexer</c> (AddRedisClient) and the
    /// <see cref="Persistence.ShieldDbContext"/> (AddNpgsqlDbContext) registered beside it.
    /// </summary>
    public static IServiceCollection AddJobTracking(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IngestionEventLog>();
        services.AddScoped<JobStore>();
        services.AddScoped<DocumentStore>();
        return services;
    }
}
