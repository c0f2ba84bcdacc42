using System.Collections.Concurrent;

namespace Shield.Workers.Pool;

/// <summary>This process's live consumers and which of them hold work, for the heartbeat.</summary>
public sealed class PoolState
{
    private readonly ConcurrentDictionary<string, bool> _consumers = new();
    private readonly TaskCompletionSource _heartbeatWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once this process's heartbeat is in Redis. The pool creates no consumer before, so another process
    /// never sees a consumer of this one without its heartbeat (see <see cref="DeadConsumers"/>).
    /// </summary>
    public Task HeartbeatWritten => _heartbeatWritten.Task;

    public void HeartbeatStored() => _heartbeatWritten.TrySetResult();

    public void ConsumerStarted(string name) => _consumers[name] = false;
    public void ConsumerStopped(string name) => _consumers.TryRemove(name, out _);
    public void ConsumerBusy(string name, bool busy) => _consumers[name] = busy;

    public IReadOnlyList<string> Consumers => [.. _consumers.Keys.Order()];
    public int BusyConsumers => _consumers.Count(c => c.Value);
}
