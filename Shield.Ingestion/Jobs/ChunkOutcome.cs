namespace Shield.Ingestion.Jobs;

/// <summary>What recording one chunk's outcome did to its job, with the job's counts and status after the call.</summary>
/// <param name="Disposition">Whether the outcome was new, a duplicate delivery, or for a job Redis no longer knows.</param>
/// <param name="LastChunk">
/// True when this outcome was the job's last: the job's finalisation is now queued, and ends it (only one caller ever
/// sees true until chunks are re-queued).
/// </param>
/// <param name="Acknowledged">True when the stream entry was acknowledged in the same step.</param>
public sealed record ChunkOutcome(
    OutcomeDisposition Disposition,
    int ChunksProcessed,
    int ChunksFailed,
    int ChunksTotal,
    string Status,
    bool LastChunk,
    bool Acknowledged = false);

public enum OutcomeDisposition
{
    Recorded,
    Duplicate,
    UnknownJob,
    /// <summary>The job was cancelled; the chunk is acknowledged without being counted.</summary>
    Cancelled,
}

/// <summary>What <see cref="JobStore.EndAsync"/> did: the job's state once its finalisation was done.</summary>
public enum JobEnding
{
    /// <summary>This call ended the job (completed, or failed when a chunk failed) and emitted its terminal event.</summary>
    Ended,
    /// <summary>The job had ended already: a finalisation delivered again.</summary>
    EndedAlready,
    /// <summary>The job was cancelled; it keeps that state.</summary>
    Cancelled,
    /// <summary>Chunks were re-queued since the finalisation was queued; the next last chunk queues another.</summary>
    NotDone,
    /// <summary>Redis no longer has the job.</summary>
    Unknown,
}

/// <summary>The answer of <see cref="JobStore.EndAsync"/>, with the job's counts.</summary>
public sealed record JobEnd(JobEnding Ending, string Status, int ChunksProcessed, int ChunksFailed, int ChunksTotal);
