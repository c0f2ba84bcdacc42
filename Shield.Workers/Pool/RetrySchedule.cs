using System.Text.Json;
using Shield.Ingestion.Streams;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>
/// Delayed retries that hold no consumer: a failed chunk's next attempt waits in a Redis sorted set scored by its
/// due time, and is appended to the stream when due. Scheduling and acknowledging the failed entry are one Lua step,
/// as are moving and appending, so a retry is never lost between the two and never queued twice.
/// </summary>
public sealed partial class RetrySchedule(
    IConnectionMultiplexer redis,
    TimeProvider time,
    ILogger<RetrySchedule> logger) : BackgroundService
{
    public const string Key = "shield:ingestion_retry";

    /// <summary>
    /// Longest wait between looks at the schedule. The loop otherwise sleeps until the earliest retry is due, and a
    /// retry scheduled by this process wakes it at once; this bound only matters for retries scheduled by a process
    /// that died before they were due (any process moves any due retry).
    /// </summary>
    private static readonly TimeSpan IdleLookInterval = TimeSpan.FromSeconds(2);

    /// <summary>Completed (and replaced) when this process schedules a retry, which may be due before the next look.</summary>
    private TaskCompletionSource _scheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // KEYS[1] schedule, KEYS[2] stream; ARGV[1] group, ARGV[2] failed entry id, ARGV[3] due (unix ms), ARGV[4] fields as a JSON array
    private const string ScheduleScript = """
        redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
        redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
        return 1
        """;

    // KEYS[1] schedule, KEYS[2] stream; ARGV[1] now (unix ms), ARGV[2] most to move
    // Returns {moved, due time of the earliest retry left (unix ms) or -1 when none is}
    private const string MoveDueScript = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, member in ipairs(due) do
          redis.call('XADD', KEYS[2], '*', unpack(cjson.decode(member)))
          redis.call('ZREM', KEYS[1], member)
        end
        local next = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        local nextDue = -1
        if #next > 0 then nextDue = tonumber(next[2]) end
        return {#due, nextDue}
        """;

    /// <summary>Queues <paramref name="next"/> to run at <paramref name="due"/> and acknowledges the failed entry.</summary>
    public async Task ScheduleAsync(RedisValue failedEntryId, ChunkMessage next, DateTimeOffset due)
    {
        var fields = JsonSerializer.Serialize(next.ToStreamFields().SelectMany(f => new[] { f.Name.ToString(), f.Value.ToString() }));
        await redis.GetDatabase().ScriptEvaluateAsync(ScheduleScript,
            [Key, IngestionStream.Key],
            [IngestionStream.ConsumerGroup, failedEntryId, due.ToUnixTimeMilliseconds(), fields]);
        Interlocked.Exchange(ref _scheduled, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            var scheduled = Volatile.Read(ref _scheduled).Task;
            if (wait > TimeSpan.Zero)
            {
                // WhenAny never throws: stopping ends the delay and the loop condition ends the loop.
                await Task.WhenAny(scheduled, Task.Delay(wait, time, stoppingToken));
            }

            try
            {
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(MoveDueScript,
                    [Key, IngestionStream.Key], [now, MaxMovedPerLook]))!;
                var moved = (int)result[0];
                var nextDue = (long)result[1];
                if (moved > 0)
                {
                    await redis.GetDatabase().PublishAsync(RedisChannel.Literal(IngestionStream.WakeChannel), moved, CommandFlags.FireAndForget);
                    LogMoved(moved);
                }
                wait = moved == MaxMovedPerLook ? TimeSpan.Zero
                    : nextDue < 0 ? IdleLookInterval
                    : TimeSpan.FromMilliseconds(Math.Clamp(nextDue - now, 1, IdleLookInterval.TotalMilliseconds));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogMoveFailed(ex);
                wait = TimeSpan.FromSeconds(1);
            }
        }
    }

    private const int MaxMovedPerLook = 100;

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-queued {Count} chunks whose retry was due")]
    private partial void LogMoved(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not move due retries; trying again shortly")]
    private partial void LogMoveFailed(Exception exception);
}
