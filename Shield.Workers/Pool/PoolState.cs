using System.Collections.Concurrent;

namespace Shield.Workers.Pool;

/// <summary>This process's live consumers and which of them hold work, for the heartbeat.</summary>
public sealed class PoolState
{
    private readonly ConcurrentDictionary<string, bool> _consumers = new();

    public void ConsumerStarted(string name) => _consumers[name] = false;
    public void ConsumerStopped(string name) => _consumers.TryRemove(name, out _);
    public void ConsumerBusy(string name, bool busy) => _consumers[name] = busy;

    public IReadOnlyList<string> Consumers => [.. _consumers.Keys.Order()];
    public int BusyConsumers => _consumers.Count(c => c.Value);
}
