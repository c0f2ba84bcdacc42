using Shield.Ingestion.Streams;
using StackExchange.Redis;

namespace Shield.Api.Ingestion;

/// <summary>Chunks not yet finished across the whole queue: undelivered (the group's lag) plus delivered but unacknowledged.</summary>
public sealed class QueueBacklog(IConnectionMultiplexer redis)
{
    public async Task<long> CountAsync()
    {
        var db = redis.GetDatabase();
        if (!await db.KeyExistsAsync(IngestionStream.Key))
        {
            return 0;
        }
        var group = (await db.StreamGroupInfoAsync(IngestionStream.Key)).FirstOrDefault(g => g.Name == IngestionStream.ConsumerGroup);
        // Without a group nobody has read anything yet; Redis reports lag as unknown in some states: count it all then.
        return group.Name is null || group.Lag is null
            ? await db.StreamLengthAsync(IngestionStream.Key)
            : group.Lag.Value + group.PendingMessageCount;
    }
}
