using Shield.Ingestion.Events;
using StackExchange.Redis;

namespace Shield.Api.Events;

/// <summary>
/// One Redis subscription per Api process that wakes every open event stream when an event is appended, so
/// connections wait instead of polling Redis.
/// </summary>
public sealed class EventNotifications(IConnectionMultiplexer redis) : IHostedService
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>Take this before reading the log, so an event appended in between still wakes the reader.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public Task StartAsync(CancellationToken cancellationToken) =>
        redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(EventStream.NotifyChannel),
            (_, _) => Interlocked.Exchange(ref _next, NewSource()).TrySetResult());

    public Task StopAsync(CancellationToken cancellationToken) =>
        redis.GetSubscriber().UnsubscribeAsync(RedisChannel.Literal(EventStream.NotifyChannel));

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
