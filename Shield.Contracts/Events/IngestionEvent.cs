using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Shield.Contracts.Events;

/// <summary>
/// One event on <c>/events/stream</c> (the <c>data</c> of a server-sent event): its type, its job (none for worker
/// events), when it happened, and a payload whose shape the type decides (see <see cref="EventPayloads"/>).
/// </summary>
public sealed record IngestionEvent(
    [property: JsonPropertyName("event_type")] string EventType,
    [property: JsonPropertyName("job_id")] Guid? JobId,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("data")] JsonObject Data)
{
    public static IngestionEvent Create<TData>(string eventType, Guid? jobId, DateTimeOffset timestamp, TData data)
        where TData : notnull =>
        new(eventType, jobId, timestamp, JsonSerializer.SerializeToNode(data, ContractJson.Options)!.AsObject());

    /// <summary>The payload as the record its type has (<see cref="JobProgressData"/> for <c>ingestion.progress</c>, …).</summary>
    /// <exception cref="JsonException">The payload does not have that shape.</exception>
    public TData DataAs<TData>(JsonSerializerOptions? options = null) =>
        Data.Deserialize<TData>(options ?? ContractJson.Options)
        ?? throw new JsonException($"The data of a {EventType} event is null.");

    public string ToJson() => JsonSerializer.Serialize(this, ContractJson.Options);

    public static IngestionEvent? Parse(string json) => JsonSerializer.Deserialize<IngestionEvent>(json, ContractJson.Options);
}
