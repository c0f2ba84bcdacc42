using Shield.Contracts.Jobs;

namespace Shield.Contracts.Events;

/// <summary>The <c>event_type</c> of each event, which is also the server-sent event's <c>event</c> name.</summary>
public static class EventTypes
{
    public const string Queued = "ingestion.queued";
    public const string Started = "ingestion.started";
    public const string Progress = "ingestion.progress";
    public const string Completed = "ingestion.completed";
    public const string Failed = "ingestion.failed";
    public const string Cancelled = "ingestion.cancelled";
    public const string WorkerStarted = "worker.started";
    public const string WorkerStopped = "worker.stopped";

    /// <summary>The job status an event ends its job in (<c>ingestion.failed</c> → <c>failed</c>), or null when it does not end it.</summary>
    public static string? TerminalStatus(string eventType) => eventType switch
    {
        Completed => JobStatus.Completed,
        Failed => JobStatus.Failed,
        Cancelled => JobStatus.Cancelled,
        _ => null,
    };
}
