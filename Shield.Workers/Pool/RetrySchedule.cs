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

    /// <summary>How often due retries are looked for; bounds how late a retry can start.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    // KEYS[1] schedule, KEYS[2] stream; ARGV[1] group, ARGV[2] failed entry id, ARGV[3] due (unix ms), ARGV[4] fields as a JSON array
    private const string ScheduleScript = """
        redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
        redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
        return 1
        """;

    // KEYS[1] schedule, KEYS[2] stream; ARGV[1] now (unix ms), ARGV[2] most to move
    private const string MoveDueScript = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, member in ipairs(due) do
          redis.call('XADD', KEYS[2], '*', unpack(cjson.decode(member)))
          redis.call('ZREM', KEYS[1], member)
        end
        return #due
        """;

    /// <summary>Queues <paramref name="next"/> to run at <paramref name="due"/> and acknowledges the failed entry.</summary>
    public async Task ScheduleAsync(RedisValue failedEntryId, ChunkMessage next, DateTimeOffset due)
    {
        var fields = JsonSerializer.Serialize(next.ToStreamFields().SelectMany(f => new[] { f.Name.ToString(), f.Value.ToString() }));
        await redis.GetDatabase().ScriptEvaluateAsync(ScheduleScript,
            [Key, IngestionStream.Key],
            [IngestionStream.ConsumerGroup, failedEntryId, due.ToUnixTimeMilliseconds(), fields]);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var moved = (int)await redis.GetDatabase().ScriptEvaluateAsync(MoveDueScript,
                    [Key, IngestionStream.Key], [time.GetUtcNow().ToUnixTimeMilliseconds(), 100]);
                if (moved > 0)
                {
                    await redis.GetDatabase().PublishAsync(RedisChannel.Literal(IngestionStream.WakeChannel), moved, CommandFlags.FireAndForget);
                    LogMoved(moved);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogMoveFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-queued {Count} chunks whose retry was due")]
    private partial void LogMoved(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not move due retries; trying again shortly")]
    private partial void LogMoveFailed(Exception exception);
}
