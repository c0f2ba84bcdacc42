using System.ComponentModel.DataAnnotations;

namespace Shield.Workers.Pool;

/// <summary>The worker pool's settings (section <c>Shield:Workers</c>), with the plan's defaults.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Shield:Workers";

    /// <summary>Concurrent consumers in this process.</summary>
    [Range(1, 256)]
    public int PoolSize { get; set; } = 4;

    /// <summary>Entries a consumer reads per XREADGROUP while its chunks take real time (see <see cref="ReadSize"/>).</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 10;

    /// <summary>
    /// Most entries a consumer reads at once while its chunks take microseconds each (reads grow from
    /// <see cref="BatchSize"/> towards what fits in about 10 ms); a value at or below <see cref="BatchSize"/> keeps every
    /// read at <see cref="BatchSize"/>.
    /// </summary>
    [Range(1, 1000)]
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>Attempts a chunk gets before it is dead-lettered and counted as failed.</summary>
    [Range(1, 100)]
    public int RetryAttempts { get; set; } = 3;

    /// <summary>
    /// Longest one chunk may take. It is also the idle time after which another consumer may claim an entry, so a
    /// live chunk is never taken from its worker and a dead worker's chunk waits no longer than this.
    /// </summary>
    [Range(1, 86_400)]
    public int TimeoutSeconds { get; set; } = 300;

    /// <summary>How often the process refreshes its heartbeat and looks for entries abandoned by dead consumers.</summary>
    [Range(1, 3600)]
    public int HealthCheckInterval { get; set; } = 30;

    /// <summary>After this many chunks a consumer retires and a fresh one (new name) takes its place.</summary>
    [Range(1, int.MaxValue)]
    public int MaxTasksPerChild { get; set; } = 1000;

    /// <summary>Seconds in-flight chunks get to finish after SIGTERM/Ctrl+C before the process exits.</summary>
    [Range(1, 3600)]
    public int GracefulShutdownTimeout { get; set; } = 60;

    /// <summary>Seconds a finished job's Redis copy is kept (PostgreSQL keeps it for good).</summary>
    [Range(1, 30 * 86_400)]
    public int JobStatusTtl { get; set; } = 3600;

    /// <summary>
    /// Safety net for a missed wake-up (for example while Redis pub/sub reconnects): an idle consumer reads
    /// anyway after this long. Wake-ups, not this, give the pickup latency.
    /// </summary>
    [Range(50, 60_000)]
    public int IdleReadIntervalMilliseconds { get; set; } = 2000;
}
