namespace Shield.Ingestion.Jobs;

/// <summary>What recording one chunk's outcome did to its job, with the job's counts and status after the call.</summary>
/// <param name="Disposition">Whether the outcome was new, a duplicate delivery, or for a job Redis no longer knows.</param>
/// <param name="Terminal">True when this outcome finished the job (only one caller ever sees true).</param>
/// <param name="Acknowledged">True when the stream entry was acknowledged in the same step.</param>
public sealed record ChunkOutcome(
    OutcomeDisposition Disposition,
    int ChunksProcessed,
    int ChunksFailed,
    int ChunksTotal,
    string Status,
    bool Terminal,
    bool Acknowledged = false);

public enum OutcomeDisposition
{
    Recorded,
    Duplicate,
    UnknownJob,
    /// <summary>The job was cancelled; the chunk is acknowledged without being counted.</summary>
    Cancelled,
}
