namespace Shield.Workers.Pool;

/// <summary>
/// Names that are unique across processes, replicas and restarts: host and pid alone can repeat (containers often
/// run as pid 1), so a random suffix is added. A recycled consumer gets a new generation number.
/// </summary>
public sealed class WorkerIdentity
{
    public WorkerIdentity()
    {
        Host = Environment.MachineName;
        Pid = Environment.ProcessId;
        ProcessId = $"{Host}-{Pid}-{Guid.NewGuid().ToString("N")[..6]}";
    }

    public string Host { get; }
    public int Pid { get; }
    public string ProcessId { get; }

    public string ConsumerName(int slot, int generation) =>
        generation == 0 ? $"{ProcessId}-w{slot}" : $"{ProcessId}-w{slot}.{generation}";
}
