using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Qdrant.Client;

namespace Shield.Knowledge.Qdrant;

/// <summary>
/// Stand-in for Aspire.Qdrant.Client (not served by this package feed): <c>AddQdrantClient(name)</c> reads
/// <c>ConnectionStrings:{name}</c> = <c>Endpoint=http://host:6334;Key=...</c> (the gRPC endpoint) and registers
/// one <see cref="QdrantClient"/> for the process.
/// </summary>
public static class QdrantClientExtensions
{
    public static IHostApplicationBuilder AddQdrantClient(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not configured.");
        var (endpoint, value) = ConnectionStrings.Parse(connectionName, connectionString);
        var key = value("Key");

        builder.Services.AddSingleton(services =>
            new QdrantClient(endpoint, key, grpcTimeout: TimeSpan.FromSeconds(30), loggerFactory: services.GetService<ILoggerFactory>()));
        return builder;
    }
}
