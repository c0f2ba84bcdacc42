using System.Text.Json.Serialization;

namespace Shield.Contracts.Events;

/// <summary>
/// The <c>data</c> of each event type. The Workers write the job events from Lua scripts, as JSON text; a test
/// parses what the scripts write into these records and fails on any field they name differently.
/// </summary>
public static class EventPayloads
{
    /// <summary>The payload record of <paramref name="eventType"/>, or null for a type this version does not know.</summary>
    public static Type? TypeOf(string eventType) => eventType switch
    {
        EventTypes.Queued => typeof(JobQueuedData),
        EventTypes.Started => typeof(JobStartedData),
        EventTypes.Progress => typeof(JobProgressData),
        EventTypes.Completed or EventTypes.Failed => typeof(JobFinishedData),
        EventTypes.Cancelled => typeof(JobCancelledData),
        EventTypes.WorkerStarted or EventTypes.WorkerStopped => typeof(WorkerEventData),
        _ => null,
    };
}

/// <summary>
/// <c>ingestion.queued</c>: the job and all its chunks are on the queue. A document's deletion job names the document
/// (and has no chunks).
/// </summary>
public sealed record JobQueuedData(
    [property: JsonPropertyName("chunks_total")] int ChunksTotal,
    [property: JsonPropertyName("source_type")] string SourceType,
    [property: JsonPropertyName("document_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DocumentId = null);

/// <summary><c>ingestion.started</c>: a worker took the job's first chunk.</summary>
public sealed record JobStartedData(
    [property: JsonPropertyName("chunks_total")] int ChunksTotal);

/// <summary><c>ingestion.progress</c>: one more chunk was handled (processed, or failed for good).</summary>
public sealed record JobProgressData(
    [property: JsonPropertyName("chunks_processed")] int ChunksProcessed,
    [property: JsonPropertyName("chunks_failed")] int ChunksFailed,
    [property: JsonPropertyName("chunks_total")] int ChunksTotal,
    [property: JsonPropertyName("percent_complete")] double PercentComplete);

/// <summary><c>ingestion.completed</c> and <c>ingestion.failed</c>: every chunk was handled; <see cref="Error"/> is the first chunk error, if any.</summary>
public sealed record JobFinishedData(
    [property: JsonPropertyName("chunks_processed")] int ChunksProcessed,
    [property: JsonPropertyName("chunks_failed")] int ChunksFailed,
    [property: JsonPropertyName("chunks_total")] int ChunksTotal,
    [property: JsonPropertyName("duration_seconds")] double DurationSeconds,
    [property: JsonPropertyName("error")] string? Error = null);

/// <summary><c>ingestion.cancelled</c>: the job was cancelled; its remaining chunks are skipped.</summary>
public sealed record JobCancelledData(
    [property: JsonPropertyName("chunks_processed")] int ChunksProcessed,
    [property: JsonPropertyName("chunks_failed")] int ChunksFailed,
    [property: JsonPropertyName("chunks_total")] int ChunksTotal);

/// <summary><c>worker.started</c> and <c>worker.stopped</c>: a consumer of the ingestion queue came or went.</summary>
public sealed record WorkerEventData(
    [property: JsonPropertyName("consumer")] string Consumer,
    [property: JsonPropertyName("worker_id")] int WorkerId,
    [property: JsonPropertyName("process_id")] string ProcessId,
    [property: JsonPropertyName("tasks_processed")] int TasksProcessed,
    [property: JsonPropertyName("reason")] string Reason);
