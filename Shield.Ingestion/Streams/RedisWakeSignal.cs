using StackExchange.Redis;

namespace Shield.Ingestion.Streams;

/// <summary>
/// Wakes waiters when anything is published on one Redis channel. StackExchange.Redis cannot block in XREAD(GROUP)
/// on its shared connection and polling in a tight loop burns CPU, so readers of a stream wait on this instead
/// (with their own timeout as a safety net for a missed message, e.g. while pub/sub reconnects).
/// </summary>
public sealed class RedisWakeSignal(string channel)
{
    private TaskCompletionSource _next = NewSource();

    public string Channel { get; } = channel;

    /// <summary>
    /// Take this BEFORE reading the stream: a publish that lands between an empty read and the wait then
    /// completes the task already taken, so it is never lost.
    /// </summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public Task SubscribeAsync(IConnectionMultiplexer redis) =>
        redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Channel), (_, _) => Set());

    /// <summary>
    /// Ends the subscription, on the way out of a process. Best effort: when the host is already tearing down the
    /// connection's telemetry (the Redis instrumentation's profiler is disposed before the hosted services have all
    /// stopped), the subscription ends with the connection anyway, and that is not a reason to fail the shutdown.
    /// </summary>
    public async Task UnsubscribeAsync(IConnectionMultiplexer redis)
    {
        try
        {
            await redis.GetSubscriber().UnsubscribeAsync(RedisChannel.Literal(Channel));
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Set() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
