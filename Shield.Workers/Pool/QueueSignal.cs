using Shield.Ingestion.Streams;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>
/// Wakes idle consumers when the Api publishes on <see cref="IngestionStream.WakeChannel"/>. StackExchange.Redis
/// cannot block in XREADGROUP on its shared connection, and polling in a tight loop burns CPU; a subscription
/// gives sub-millisecond pickup while an idle process does nothing.
/// </summary>
public sealed class QueueSignal
{
    private TaskCompletionSource _next = NewSource();

    public async Task SubscribeAsync(IConnectionMultiplexer redis)
    {
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(IngestionStream.WakeChannel), (_, _) => Set());
    }

    /// <summary>
    /// Take the waiter BEFORE reading the stream: a wake-up that lands between an empty read and the wait then
    /// completes the task already taken, so it is never lost.
    /// </summary>
    public Task Current => Volatile.Read(ref _next).Task;

    public void Set() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
