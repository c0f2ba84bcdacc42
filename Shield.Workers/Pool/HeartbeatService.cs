using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using Shield.Workers.Extraction;
using Shield.Knowledge;
using Shield.Knowledge.ModelCache;
using Shield.Knowledge.Ollama;
using Shield.Workers.Processing;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>
/// Refreshes this process's <see cref="WorkerHeartbeat"/> every health-check interval. The key lives for three
/// intervals, so a killed process drops out of <c>/health/detailed</c> on its own, and its consumers then leave the
/// group (<see cref="DeadConsumers"/>).
/// </summary>
public sealed partial class HeartbeatService(
    IConnectionMultiplexer redis,
    WorkerIdentity identity,
    PoolState state,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    IEntityExtractor extractor,
    IServiceScopeFactory scopes,
    IServiceProvider services,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<HeartbeatService> logger) : BackgroundService
{
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.HealthCheckInterval);
        var embedding = DescribeEmbeddings();
        LogBackends(embedding, extractor.Description);
        string vectorStore;
        await using (var scope = scopes.CreateAsyncScope())
        {
            vectorStore = scope.ServiceProvider.GetRequiredService<IVectorStore>().Description;
        }

        // The pool starts its consumers once the first beat is stored: beat every second until then, once more a second
        // later so the consumers show up as soon as they exist, then every interval.
        var beats = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (await BeatAsync(embedding, vectorStore, interval))
            {
                beats++;
                state.HeartbeatStored();
            }
            await Task.Delay(beats < 2 ? TimeSpan.FromSeconds(1) : interval, time, stoppingToken)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        try
        {
            await redis.GetDatabase().KeyDeleteAsync(WorkerHeartbeat.Key(identity.ProcessId));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogBeatFailed(ex);
        }
    }

    /// <summary>Writes the heartbeat and samples the queue gauges; false when the heartbeat could not be written.</summary>
    private async Task<bool> BeatAsync(string embedding, string vectorStore, TimeSpan interval)
    {
        var heartbeat = new WorkerHeartbeat(identity.ProcessId, identity.Host, identity.Pid, state.Consumers,
            state.Consumers.Count, state.BusyConsumers, _startedAt, time.GetUtcNow(), embedding, vectorStore, extractor.Description,
            // Only a process that calls a model server tracks its calls; the embedded defaults cannot be "down".
            services.GetService<ModelCallHealth>()?.Describe() ?? "",
            services.GetService<ModelCacheStats>()?.Snapshot());
        var written = false;
        try
        {
            var database = redis.GetDatabase();
            await database.StringSetAsync(WorkerHeartbeat.Key(identity.ProcessId), heartbeat.ToJson(), WorkerHeartbeat.Lifetime(interval));
            written = true;

            // Sampled here, once per interval, so exporting the queue gauges never costs a Redis call.
            var depth = await database.StreamLengthAsync(IngestionStream.Key);
            var group = depth == 0 && !await database.KeyExistsAsync(IngestionStream.Key)
                ? default
                : (await database.StreamGroupInfoAsync(IngestionStream.Key)).FirstOrDefault(g => g.Name == IngestionStream.ConsumerGroup);
            WorkerTelemetry.RecordQueue(depth, group.PendingMessageCount, group.Lag ?? 0);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogBeatFailed(ex);
        }
        return written;
    }

    private string DescribeEmbeddings()
    {
        var metadata = embeddings.GetService<EmbeddingGeneratorMetadata>();
        return embeddings.GetService<MiniLmEmbeddingGenerator>() is not null
            ? $"embedded: {MiniLmEmbeddingGenerator.ModelId} (in-process ONNX, {MiniLmEmbeddingGenerator.Dimensions} dimensions)"
            : $"{metadata?.ProviderName ?? "model server"}: {metadata?.DefaultModelId ?? "unknown model"} at {metadata?.ProviderUri}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embeddings: {Embedding}. Extraction: {Extraction}")]
    private partial void LogBackends(string embedding, string extraction);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the worker heartbeat")]
    private partial void LogBeatFailed(Exception exception);
}
