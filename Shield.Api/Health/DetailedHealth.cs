using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Shield.Api.Events;
using Shield.Api.Security;
using Shield.Ingestion.Jobs;
using Shield.Knowledge;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using StackExchange.Redis;

namespace Shield.Api.Health;

public sealed record DetailedHealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("checked_at")] DateTimeOffset CheckedAt,
    [property: JsonPropertyName("redis")] DependencyHealth Redis,
    [property: JsonPropertyName("postgres")] DependencyHealth Postgres,
    [property: JsonPropertyName("vector_store")] BackendInfo VectorStore,
    [property: JsonPropertyName("model_backend")] BackendInfo ModelBackend,
    [property: JsonPropertyName("worker_pool")] WorkerPoolHealth WorkerPool,
    [property: JsonPropertyName("model_cache")] ModelCacheHealth ModelCache,
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("event_streams")] EventStreamHealth EventStreams);

/// <summary>
/// The model cache (PostgreSQL table <c>model_cache</c>) as the live Workers processes used it since they started:
/// answers and embeddings served from it (hits) and asked of the model (misses), and the texts the embedding model got.
/// </summary>
public sealed record ModelCacheHealth(
    [property: JsonPropertyName("store")] string Store,
    [property: JsonPropertyName("entries")] long? Entries,
    [property: JsonPropertyName("size_bytes")] long? SizeBytes,
    [property: JsonPropertyName("workers")] ModelCacheReport Workers);

public sealed record DependencyHealth(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("latency_ms")] double? LatencyMs,
    [property: JsonPropertyName("error")] string? Error);

public sealed record BackendInfo(
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("reported_by_workers")] IReadOnlyList<string> ReportedByWorkers,
    [property: JsonPropertyName("status")] string Status = "up",
    [property: JsonPropertyName("errors")] IReadOnlyList<string>? Errors = null);

public sealed record ConsumerHealth(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("pending")] long Pending,
    [property: JsonPropertyName("idle_ms")] long IdleMs);

public sealed record WorkerPoolHealth(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("processes")] int Processes,
    [property: JsonPropertyName("active_workers")] int ActiveWorkers,
    [property: JsonPropertyName("busy_workers")] int BusyWorkers,
    [property: JsonPropertyName("consumers")] IReadOnlyList<ConsumerHealth> Consumers,
    [property: JsonPropertyName("queue_depth")] long QueueDepth,
    [property: JsonPropertyName("pending_entries")] long PendingEntries,
    [property: JsonPropertyName("processing_rate")] double ProcessingRate,
    [property: JsonPropertyName("error")] string? Error = null);

/// <summary>
/// Builds <c>/health/detailed</c>. Everything about the pool is read from Redis (the consumer group and the
/// workers' heartbeats), never from this process, so the answer is the same whichever Api replica gives it.
/// </summary>
public sealed class DetailedHealth(
    IConnectionMultiplexer redis,
    ShieldDbContext db,
    JobStore jobs,
    IConfiguration configuration,
    ApiKeyStore keys,
    EventStreamLimits streams,
    TimeProvider time)
{
    public async Task<DetailedHealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var redisHealth = await CheckRedisAsync();
        var (postgresHealth, cacheRows, cacheBytes) = await ProbePostgresAsync(cancellationToken);
        var heartbeats = redisHealth.Status == "up" ? await HeartbeatsAsync() : [];
        var pool = redisHealth.Status == "up"
            ? await WorkerPoolAsync(heartbeats)
            : new WorkerPoolHealth("unknown", 0, 0, 0, [], 0, 0, 0, "Redis is unreachable");

        var modelBackend = ModelBackend(heartbeats);
        var status = redisHealth.Status != "up" || postgresHealth.Status != "up" ? "unhealthy"
            : pool.Status != "up" || modelBackend.Status != "up" ? "degraded"
            : "healthy";
        return new DetailedHealthReport(status, time.GetUtcNow(), redisHealth, postgresHealth,
            VectorStore(heartbeats), modelBackend, pool, ModelCache(heartbeats, cacheRows, cacheBytes),
            keys.IsOpen ? "open" : "keys", streams.Health);
    }

    private async Task<DependencyHealth> CheckRedisAsync()
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync();
            return new("up", Math.Round(latency.TotalMilliseconds, 2), null);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new("down", null, ex.Message);
        }
    }

    /// <summary>
    /// One query on a plain connection, answered within <see cref="ProbeTimeout"/> or reported down: a health probe must
    /// not ride the DbContext's retrying execution strategy, which waits out an outage for minutes. It also reads the
    /// model cache's size (the planner's row estimate and the table's bytes: an exact count would scan millions of rows).
    /// </summary>
    private async Task<(DependencyHealth Health, long? CacheRows, long? CacheBytes)> ProbePostgresAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        var connection = db.Database.GetDbConnection();
        try
        {
            await connection.OpenAsync(timeout.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT (SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass('model_cache')),
                       pg_total_relation_size(to_regclass('model_cache'))
                """;
            await using var reader = await command.ExecuteReaderAsync(timeout.Token);
            await reader.ReadAsync(timeout.Token);
            var rows = reader.IsDBNull(0) ? (long?)null : reader.GetInt64(0);
            var bytes = reader.IsDBNull(1) ? (long?)null : reader.GetInt64(1);
            return (new("up", Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 2), null), rows, bytes);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var error = ex is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds:0} s" : ex.GetBaseException().Message;
            return (new("down", null, error), null, null);
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private async Task<List<WorkerHeartbeat>> HeartbeatsAsync()
    {
        var database = redis.GetDatabase();
        var heartbeats = new List<WorkerHeartbeat>();
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(database.Database, WorkerHeartbeat.KeyPrefix + "*", pageSize: 100))
            {
                if (await database.StringGetAsync(key) is { IsNull: false } value && WorkerHeartbeat.FromJson(value!) is { } beat)
                {
                    heartbeats.Add(beat);
                }
            }
        }
        return heartbeats;
    }

    private async Task<WorkerPoolHealth> WorkerPoolAsync(List<WorkerHeartbeat> heartbeats)
    {
        var database = redis.GetDatabase();
        var rate = await jobs.ProcessingRateAsync();
        var active = heartbeats.Sum(h => h.ActiveConsumers);
        var busy = heartbeats.Sum(h => h.BusyConsumers);
        try
        {
            var group = (await database.StreamGroupInfoAsync(IngestionStream.Key))
                .FirstOrDefault(g => g.Name == IngestionStream.ConsumerGroup);
            var consumers = group.Name is null
                ? []
                : (await database.StreamConsumerInfoAsync(IngestionStream.Key, IngestionStream.ConsumerGroup))
                    .Select(c => new ConsumerHealth(c.Name!, c.PendingMessageCount, c.IdleTimeInMilliseconds))
                    .ToList();
            // Lag is what the group has not been handed yet; Redis reports it as unknown after some deletions.
            var depth = group.Name is null ? await database.StreamLengthAsync(IngestionStream.Key) : group.Lag ?? await database.StreamLengthAsync(IngestionStream.Key);
            return new WorkerPoolHealth(active > 0 ? "up" : "down", heartbeats.Count, active, busy, consumers,
                depth, group.PendingMessageCount, rate);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("ERR no such key", StringComparison.Ordinal))
        {
            return new WorkerPoolHealth(active > 0 ? "up" : "down", heartbeats.Count, active, busy, [], 0, 0, rate);
        }
    }

    private BackendInfo VectorStore(List<WorkerHeartbeat> heartbeats) =>
        string.IsNullOrWhiteSpace(configuration.GetConnectionString("qdrant"))
            ? new("embedded", "PostgreSQL table 'vectors', exact cosine similarity (no Qdrant configured)", Reported(heartbeats, h => h.VectorStore))
            : new("qdrant", "Qdrant at " + ConnectionStrings.EndpointOnly(configuration.GetConnectionString("qdrant")!), Reported(heartbeats, h => h.VectorStore));

    private BackendInfo ModelBackend(List<WorkerHeartbeat> heartbeats)
    {
        var reported = Reported(heartbeats, h => h.Embedding).Concat(Reported(heartbeats, h => h.Extraction)).ToList();
        var servers = new[] { "chat", "embeddings" }
            .Select(name => configuration.GetConnectionString(name) is { Length: > 0 } connection ? $"{name}: Ollama at {ConnectionStrings.EndpointOnly(connection)}" : null)
            .OfType<string>()
            .ToList();
        if (servers.Count == 0)
        {
            return new("embedded", "all-MiniLM-L6-v2 in process (ONNX, 384 dimensions) and the offline development extractor; no model server configured", reported);
        }

        // Each Workers process reports whether its recent model calls failed (errors, timeouts): the server may
        // answer /api/version and still be unable to serve the model.
        var failing = Reported(heartbeats, h => h.ModelHealth).Where(h => h.StartsWith("failing", StringComparison.Ordinal)).ToList();
        return new("ollama", string.Join("; ", servers), reported, failing.Count > 0 ? "degraded" : "up", failing);
    }

    private static ModelCacheHealth ModelCache(List<WorkerHeartbeat> heartbeats, long? rows, long? bytes) =>
        new("postgresql", rows, bytes, heartbeats.Select(h => h.ModelCache).OfType<ModelCacheReport>().Aggregate(ModelCacheReport.None, (a, b) => a + b));

    private static IReadOnlyList<string> Reported(List<WorkerHeartbeat> heartbeats, Func<WorkerHeartbeat, string> select) =>
        [.. heartbeats.Select(select).Where(s => s.Length > 0).Distinct().Order()];
}
