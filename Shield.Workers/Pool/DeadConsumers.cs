using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>
/// Removes the group's consumers that belong to processes that are gone, so <c>XINFO CONSUMERS</c> lists the live
/// pool and not every process that ever ran (a killed or restarted process never leaves the group itself).
/// </summary>
/// <remarks>
/// A consumer goes only when all of these hold, checked and acted on in one script so nothing can change in between:
/// its process's heartbeat key is gone; it holds no pending entry (deleting a consumer deletes its pending entries;
/// a dead process's entries are first claimed by <c>XAUTOCLAIM</c> after the task timeout, and the consumer goes on a
/// later pass); and Redis has not seen it read for as long as a heartbeat lives. A live process cannot lose a
/// consumer: it writes its heartbeat before it creates its first consumer (<see cref="PoolState.HeartbeatWritten"/>)
/// and refreshes it well within its lifetime, and even a process that could not refresh it keeps its consumers while
/// they read (every <c>IdleReadIntervalMilliseconds</c> when idle). Names that are not Shield's
/// (<c>host-pid-random-wN</c>, see <see cref="WorkerIdentity"/>) are left alone.
/// </remarks>
internal static class DeadConsumers
{
    // KEYS[1] ingestion stream
    // ARGV[1] consumer group, ARGV[2] heartbeat key prefix, ARGV[3] this process's id, ARGV[4] least idle time (ms)
    // Returns the names of the consumers it removed.
    private const string RemoveScript = """
        local removed = {}
        for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
          local info = {}
          for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
          local name = info['name']
          local process = string.match(name, '^(.+)%-w%d+$') or string.match(name, '^(.+)%-w%d+%.%d+$')
          if process and process ~= ARGV[3] and info['pending'] == 0 and info['idle'] > tonumber(ARGV[4])
             and redis.call('EXISTS', ARGV[2] .. process) == 0 then
            redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
            removed[#removed + 1] = name
          end
        end
        return removed
        """;

    public static async Task<string[]> RemoveAsync(IDatabase database, string ownProcessId, TimeSpan heartbeatLifetime)
    {
        var removed = await database.ScriptEvaluateAsync(RemoveScript, [IngestionStream.Key],
            [IngestionStream.ConsumerGroup, WorkerHeartbeat.KeyPrefix, ownProcessId, (long)heartbeatLifetime.TotalMilliseconds]);
        return (string[])removed!;
    }
}
