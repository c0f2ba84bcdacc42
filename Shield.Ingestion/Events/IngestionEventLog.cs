using Shield.Contracts.Events;
using StackExchange.Redis;

namespace Shield.Ingestion.Events;

/// <summary>An event as stored: its stream entry id doubles as the server-sent-event id.</summary>
public readonly record struct StoredEvent(string Id, string EventType, string? JobId, string Json);

/// <summary>Appends to and reads from the capped event stream in Redis.</summary>
public sealed class IngestionEventLog(IConnectionMultiplexer redis)
{
    /// <summary>
    /// At most about this many events are kept for replay (Redis trims in whole nodes, hence "about"); at a few
    /// hundred bytes each that bounds the log to tens of megabytes however busy the system is. Independently, the
    /// Workers drop events older than the job status TTL, so a quiet system's log shrinks back.
    /// </summary>
    public const int RetainedEvents = 100_000;

    public async Task<string> AppendAsync(IngestionEvent ingestionEvent)
    {
        var db = redis.GetDatabase();
        var id = await db.StreamAddAsync(
            EventStream.Key,
            [
                new(EventStream.TypeField, ingestionEvent.EventType),
                new(EventStream.JobField, ingestionEvent.JobId?.ToString() ?? ""),
                new(EventStream.PayloadField, ingestionEvent.ToJson()),
            ],
            maxLength: RetainedEvents,
            useApproximateMaxLength: true);
        await db.PublishAsync(RedisChannel.Literal(EventStream.NotifyChannel), id, CommandFlags.FireAndForget);
        return id.ToString();
    }

    /// <summary>Events after <paramref name="afterId"/> (exclusive) in order, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(string afterId, int count)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(
            EventStream.Key, minId: "(" + afterId, maxId: "+", count: count);
        var events = new List<StoredEvent>(entries.Length);
        foreach (var entry in entries)
        {
            string? type = null, job = null, json = null;
            foreach (var field in entry.Values)
            {
                if (field.Name == EventStream.TypeField) type = field.Value;
                else if (field.Name == EventStream.JobField) job = field.Value;
                else if (field.Name == EventStream.PayloadField) json = field.Value;
            }
            if (type is not null && json is not null)
            {
                events.Add(new StoredEvent(entry.Id!, type, string.IsNullOrEmpty(job) ? null : job, json));
            }
        }
        return events;
    }

    /// <summary>The id of the newest event, or <c>0-0</c> when there is none: a new client starts after it.</summary>
    public async Task<string> LatestIdAsync()
    {
        var newest = await redis.GetDatabase().StreamRangeAsync(
            EventStream.Key, minId: "-", maxId: "+", count: 1, messageOrder: Order.Descending);
        return newest.Length == 0 ? "0-0" : newest[0].Id.ToString();
    }
}
