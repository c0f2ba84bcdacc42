using Shield.Ingestion.Events;
using Shield.Ingestion.Streams;
using StackExchange.Redis;

namespace Shield.Api.Events;

/// <summary>
/// One Redis subscription per Api process that wakes every open event stream when an event is appended, so
/// connections wait instead of polling Redis.
/// </summary>
public sealed class EventNotifications(IConnectionMultiplexer redis) : IHostedService
{
    private readonly RedisWakeSignal _signal = new(EventStream.NotifyChannel);

    /// <summary>Take this before reading the log, so an event appended in between still wakes the reader.</summary>
    public Task Next => _signal.Next;

    public Task StartAsync(CancellationToken cancellationToken) => _signal.SubscribeAsync(redis);

    public Task StopAsync(CancellationToken cancellationToken) => _signal.UnsubscribeAsync(redis);
}
