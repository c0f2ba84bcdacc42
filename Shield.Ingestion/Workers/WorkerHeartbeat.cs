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
    [property: JsonPropertyName("model_health")] string ModelHealth = "")
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
