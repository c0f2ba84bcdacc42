using Shield.Ingestion.Streams;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>Keeping entries claimed while their consumer waits out an outage.</summary>
internal static class PendingClaims
{
    /// <summary>
    /// Runs a bookkeeping step, waiting out dependency outages (holding the entries meanwhile, see <see cref="HoldAsync"/>)
    /// instead of abandoning them to a reclaim. False when shutdown's deadline came first.
    /// </summary>
    public static async Task<bool> ThroughOutagesAsync(IConnectionMultiplexer redis, Func<Task> step,
        IReadOnlyCollection<(string Consumer, RedisValue EntryId)> entries, TimeProvider time, Action<Exception> onOutage,
        CancellationToken drainToken)
    {
        for (var wait = 1; ; wait++)
        {
            try
            {
                await step();
                return true;
            }
            catch (Exception ex) when (DependencyOutage.IsOutage(ex) || ex is RedisTimeoutException)
            {
                onOutage(ex);
                if (!await HoldAsync(redis, entries, wait, time, drainToken))
                {
                    return false;
                }
            }
        }
    }

    /// <summary>
    /// Waits (1 s, doubling to 15 s by <paramref name="wait"/>), then refreshes each entry's claim by its consumer, so
    /// no other consumer takes it over as abandoned during a long outage. False when shutdown's deadline came first.
    /// </summary>
    public static async Task<bool> HoldAsync(IConnectionMultiplexer redis, IEnumerable<(string Consumer, RedisValue EntryId)> entries,
        int wait, TimeProvider time, CancellationToken drainToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(15, Math.Pow(2, Math.Min(wait - 1, 4)))), time, drainToken)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            foreach (var byConsumer in entries.Where(e => !e.EntryId.IsNull).GroupBy(e => e.Consumer))
            {
                await redis.GetDatabase().StreamClaimIdsOnlyAsync(IngestionStream.Key, IngestionStream.ConsumerGroup,
                    byConsumer.Key, 0, [.. byConsumer.Select(e => e.EntryId)]);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis itself is the outage; the claims are refreshed on a later wait.
        }
        return !drainToken.IsCancellationRequested;
    }
}
