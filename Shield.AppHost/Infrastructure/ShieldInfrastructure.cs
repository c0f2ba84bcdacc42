using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shield.AppHost.Ollama;
using Shield.AppHost.Qdrant;

namespace Shield.AppHost.Infrastructure;

/// <summary>Resource names double as connection-string names, which the services read: they are a contract.</summary>
public static class ResourceNames
{
    public const string Redis = "redis";
    public const string Postgres = "postgres";
    public const string Database = "shield";
    public const string Qdrant = "qdrant";
    public const string Ollama = "ollama";
    public const string Chat = "chat";
    public const string Embeddings = "embeddings";
    public const string Api = "api";
    public const string Workers = "workers";
}

/// <summary>
/// What the services can reference. The optional members are null in local mode unless a connection
/// string was configured; the workers then fall back to their embedded model and PostgreSQL vectors.
/// </summary>
public sealed record ShieldInfrastructure(
    InfrastructureDecision Decision,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString>? Qdrant,
    IResourceBuilder<IResourceWithConnectionString>? Chat,
    IResourceBuilder<IResourceWithConnectionString>? Embeddings);

public static class ShieldInfrastructureExtensions
{
    /// <summary>Adds Redis, PostgreSQL (database <c>shield</c>), and where available Qdrant and Ollama.</summary>
    public static ShieldInfrastructure AddShieldInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var decision = InfrastructureDecision.Resolve(builder);
        var infrastructure = decision.Mode == InfrastructureMode.Containers
            ? AddContainers(builder, decision)
            : AddLocal(builder, decision);

        // Logged through the AppHost's own logger so it lands with the rest of its output (and in test logs).
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Shield.AppHost");
            logger.LogInformation("{Decision}", decision);
            if (decision.Mode == InfrastructureMode.Local)
            {
                var missing = new[] { (ResourceNames.Qdrant, infrastructure.Qdrant), (ResourceNames.Chat, infrastructure.Chat), (ResourceNames.Embeddings, infrastructure.Embeddings) }
                    .Where(x => x.Item2 is null).Select(x => x.Item1).ToArray();
                if (missing.Length > 0)
                {
                    logger.LogInformation(
                        "Shield AI services: no ConnectionStrings:{Missing} configured; the workers use their embedded defaults (in-process embedding model, PostgreSQL vector store)",
                        string.Join(", ConnectionStrings:", missing));
                }
            }

            return Task.CompletedTask;
        });

        return infrastructure;
    }

    /// <summary>References and waits for Qdrant and the Ollama models, whichever this run has.</summary>
    public static IResourceBuilder<T> WithAiServices<T>(this IResourceBuilder<T> builder, ShieldInfrastructure infrastructure)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        if (infrastructure.Qdrant is IResourceBuilder<QdrantServerResource> qdrant)
        {
            builder.WithReference(qdrant).WaitFor(qdrant);
        }
        else if (infrastructure.Qdrant is { } external)
        {
            builder.WithReference(external);
        }

        foreach (var model in new[] { infrastructure.Chat, infrastructure.Embeddings })
        {
            if (model is not null)
            {
                builder.WithReference(model);
                // A configured external endpoint has no lifecycle here; waiting is only meaningful for the containers.
                if (model.Resource is OllamaModelResource)
                {
                    builder.WaitFor(model);
                }
            }
        }

        return builder;
    }

    private static ShieldInfrastructure AddContainers(IDistributedApplicationBuilder builder, InfrastructureDecision decision)
    {
        var redis = builder.AddRedis(ResourceNames.Redis)
            .WithDataVolume()
            .WithPersistence(TimeSpan.FromSeconds(60), keysChangedThreshold: 100)
            // The append-only file as well as snapshots: a restart loses at most a second of accepted chunks
            // (appendfsync everysec), not the last minute, as local mode's redis-server is configured too.
            .WithArgs(context =>
            {
                // The image runs `/bin/sh -c "redis-server ..."`: options must join that command line.
                var command = context.Args.ToList().FindIndex(a => a is string s && s.StartsWith("redis-server", StringComparison.Ordinal));
                if (command < 0)
                {
                    throw new InvalidOperationException("The Redis container's command line was not found; cannot enable the append-only file.");
                }
                context.Args[command] = $"{context.Args[command]} --appendonly yes --appendfsync everysec";
            });

        var database = builder.AddPostgres(ResourceNames.Postgres)
            .WithDataVolume()
            // The image's entrypoint hands options after its command to the postgres it starts.
            .WithArgs([.. PostgresServerSettings.CommandLineFrom(builder.Configuration)])
            .AddDatabase(ResourceNames.Database);

        var qdrant = builder.AddQdrant(ResourceNames.Qdrant).WithDataVolume();

        var ollama = builder.AddOllama(ResourceNames.Ollama).WithDataVolume();
        var chat = ollama.AddModel(ResourceNames.Chat, ModelName(builder, ShieldConfigKeys.ChatModel, ShieldConfigKeys.DefaultChatModel));
        var embeddings = ollama.AddModel(ResourceNames.Embeddings, ModelName(builder, ShieldConfigKeys.EmbeddingModel, ShieldConfigKeys.DefaultEmbeddingModel));

        return new(decision, redis, database, qdrant, chat, embeddings);
    }

    private static ShieldInfrastructure AddLocal(IDistributedApplicationBuilder builder, InfrastructureDecision decision)
    {
        // A Redis or PostgreSQL server you already run, given by connection string, is used as it is; only the
        // rest is started here. Every missing program is reported at once, before a folder is created or anything starts.
        var externalRedis = ExternalConnection(builder, ResourceNames.Redis);
        var externalDatabase = ExternalConnection(builder, ResourceNames.Database);
        var programs = LocalPrerequisites.Find(builder.Configuration, needRedis: externalRedis is null, needPostgres: externalDatabase is null);
        var dataDirectory = externalRedis is null || externalDatabase is null ? DataDirectory(builder) : null;

        var redis = externalRedis ?? builder.AddLocalRedis(ResourceNames.Redis, programs.RedisServer!, dataDirectory!);
        var database = externalDatabase ?? builder.AddLocalPostgres(ResourceNames.Postgres, programs, dataDirectory!)
            .AddDatabase(ResourceNames.Database);

        // Qdrant and Ollama have no lightweight host install worth managing here; use them when pointed at one.
        // An Ollama server (ConnectionStrings:ollama, e.g. `ollama serve` on the host) gets the configured models
        // pulled onto it, as the container does; explicit ConnectionStrings:chat / :embeddings are used as given.
        var chat = ExternalConnection(builder, ResourceNames.Chat);
        var embeddings = ExternalConnection(builder, ResourceNames.Embeddings);
        if (ExternalOllamaEndpoint(builder) is { } ollamaEndpoint && (chat is null || embeddings is null))
        {
            var ollama = builder.AddExternalOllama(ResourceNames.Ollama, ollamaEndpoint);
            chat ??= ollama.AddModel(ResourceNames.Chat, ModelName(builder, ShieldConfigKeys.ChatModel, ShieldConfigKeys.DefaultChatModel));
            embeddings ??= ollama.AddModel(ResourceNames.Embeddings, ModelName(builder, ShieldConfigKeys.EmbeddingModel, ShieldConfigKeys.DefaultEmbeddingModel));
        }

        return new(decision, redis, database, ExternalConnection(builder, ResourceNames.Qdrant), chat, embeddings);
    }

    /// <summary>The <c>Endpoint</c> of <c>ConnectionStrings:ollama</c>, if one is configured.</summary>
    private static Uri? ExternalOllamaEndpoint(IDistributedApplicationBuilder builder)
    {
        if (builder.Configuration.GetConnectionString(ResourceNames.Ollama) is not { Length: > 0 } connectionString)
        {
            return null;
        }
        var parts = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return parts.TryGetValue("Endpoint", out var endpoint) && Uri.TryCreate(endpoint?.ToString(), UriKind.Absolute, out var uri)
            ? uri
            : throw new InvalidOperationException("ConnectionStrings:ollama must be Endpoint=http://host:11434.");
    }

    private static IResourceBuilder<IResourceWithConnectionString>? ExternalConnection(IDistributedApplicationBuilder builder, string name) =>
        string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)) ? null : builder.AddConnectionString(name);

    private static string ModelName(IDistributedApplicationBuilder builder, string key, string fallback) =>
        builder.Configuration[key] is { Length: > 0 } configured ? configured : fallback;

    /// <summary><c>Shield:DataDirectory</c>, relative to the repository root; default <c>&lt;repo&gt;/.data</c> (git-ignored).</summary>
    private static string DataDirectory(IDistributedApplicationBuilder builder)
    {
        var repoRoot = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(builder.AppHostDirectory))
            ?? builder.AppHostDirectory;
        var configured = builder.Configuration[ShieldConfigKeys.DataDirectory];
        var directory = Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? ".data" : configured, repoRoot);
        Directory.CreateDirectory(directory);
        return directory;
    }
}
