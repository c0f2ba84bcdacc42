using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shield.Ingestion.Workers;

/// <summary>
/// What each Workers process says about itself, every health-check interval, in a Redis key that expires when
/// the process stops refreshing it. The Api reads all of them, so <c>/health/detailed</c> is true across replicas.
/// </summary>
public sealed record WorkerHeartbeat(
    [property: JsonPropertyName("process_id")] string ProcessId,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("consumers")] IReadOnlyList<string> Consumers,
    [property: JsonPropertyName("active_consumers")] int ActiveConsumers,
    [property: JsonPropertyName("busy_consumers")] int BusyConsumers,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("last_seen")] DateTimeOffset LastSeen,
    [property: JsonPropertyName("embedding")] string Embedding,
    [property: JsonPropertyName("vector_store")] string VectorStore,
    [property: JsonPropertyName("extraction")] string Extraction = "",
    [property: JsonPropertyName("model_health")] string ModelHealth = "",
    [property: JsonPropertyName("model_cache")] ModelCacheReport? ModelCache = null)
{
    public const string KeyPrefix = "shield:workers:";

    public static string Key(string processId) => KeyPrefix + processId;

    /// <summary>How long a heartbeat written every <paramref name="interval"/> lives: three intervals, so one or two late beats do not count a process as gone.</summary>
    public static TimeSpan Lifetime(TimeSpan interval) => interval * 3;

    public string ToJson() => JsonSerializer.Serialize(this);

    public static WorkerHeartbeat? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<WorkerHeartbeat>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A Workers process's model-cache lookups since it started, and the texts that reached its embedding model.</summary>
public sealed record ModelCacheReport(
    [property: JsonPropertyName("chat_hits")] long ChatHits,
    [property: JsonPropertyName("chat_misses")] long ChatMisses,
    [property: JsonPropertyName("embedding_hits")] long EmbeddingHits,
    [property: JsonPropertyName("embedding_misses")] long EmbeddingMisses,
    [property: JsonPropertyName("texts_embedded")] long TextsEmbedded)
{
    public static ModelCacheReport operator +(ModelCacheReport a, ModelCacheReport b) => new(
        a.ChatHits + b.ChatHits, a.ChatMisses + b.ChatMisses, a.EmbeddingHits + b.EmbeddingHits,
        a.EmbeddingMisses + b.EmbeddingMisses, a.TextsEmbedded + b.TextsEmbedded);

    public static ModelCacheReport None { get; } = new(0, 0, 0, 0, 0);
}
