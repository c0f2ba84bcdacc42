using System.Diagnostics;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using StackExchange.Redis;

namespace Shield.Tests.Infrastructure;

/// <summary>The stack's live Workers processes, as their heartbeats and the consumer group describe them.</summary>
public static class WorkerProcesses
{
    /// <summary>The live Workers process holding the most unacknowledged entries right now (at least two must be alive).</summary>
    public static async Task<WorkerHeartbeat> BusiestAsync(IConnectionMultiplexer redis)
    {
        var heartbeats = await LiveHeartbeatsAsync(redis);
        Assert.True(heartbeats.Count >= 2, $"need two live workers, found {heartbeats.Count}");
        var consumers = await ConsumersAsync(redis);
        return heartbeats.OrderByDescending(h => consumers
            .Where(c => c.Name.ToString().StartsWith(h.ProcessId, StringComparison.Ordinal)).Sum(c => c.PendingMessageCount)).First();
    }

    /// <summary>The heartbeats of Workers processes that are running.</summary>
    public static async Task<List<WorkerHeartbeat>> LiveHeartbeatsAsync(IConnectionMultiplexer redis)
    {
        var db = redis.GetDatabase();
        var heartbeats = new List<WorkerHeartbeat>();
        await foreach (var key in redis.GetServers()[0].KeysAsync(pattern: WorkerHeartbeat.KeyPrefix + "*"))
        {
            if (WorkerHeartbeat.FromJson((await db.StringGetAsync(key))!) is { } beat && IsAlive(beat.Pid))
            {
                heartbeats.Add(beat);
            }
        }
        return heartbeats;
    }

    public static async Task<StreamConsumerInfo[]> ConsumersAsync(IConnectionMultiplexer redis) =>
        await redis.GetDatabase().StreamConsumerInfoAsync(IngestionStream.Key, IngestionStream.ConsumerGroup);

    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
