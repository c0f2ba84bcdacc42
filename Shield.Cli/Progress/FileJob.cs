using Shield.Contracts.Events;
using Shield.Contracts.Jobs;

namespace Shield.Cli.Progress;

/// <summary>One file's job as the command line follows it. Changed only by its own follower; read by the view under its lock.</summary>
public sealed class FileJob(string displayName, int chunks)
{
    public string DisplayName { get; } = displayName;
    public Guid? JobId { get; set; }
    public int Total { get; private set; } = chunks;
    public int Processed { get; private set; }
    public int Failed { get; private set; }

    /// <summary>The job's state (<c>queued</c>, <c>processing</c>, <c>completed</c>, …) or the command line's own (<c>uploading</c>, <c>not submitted</c>, <c>unknown</c>).</summary>
    public string State { get; private set; } = "uploading";
    public string? Error { get; private set; }
    public bool Finished { get; private set; }

    public bool Completed => State == JobStatus.Completed;

    /// <summary>Whole percent of chunks handled; 100 only when all are.</summary>
    public int Percent => Total <= 0 ? 0 : (int)Math.Floor((Processed + Failed) * 100.0 / Total);

    /// <summary>The Api queued the file's job (<c>POST /documents</c> answered it with this job and chunk count).</summary>
    public void Queued(Guid jobId, int chunks)
    {
        JobId = jobId;
        Total = chunks;
        State = JobStatus.Queued;
    }

    public void NotSubmitted(string error) => End("not submitted", error);

    /// <summary>The command line stopped following before the job ended (the Api went away).</summary>
    public void Lost(string error) => End("unknown", error);

    /// <exception cref="System.Text.Json.JsonException">The event's data does not have its type's shape.</exception>
    public void Apply(IngestionEvent e)
    {
        switch (e.EventType)
        {
            case EventTypes.Queued when !Finished:
                Total = e.DataAs<JobQueuedData>().ChunksTotal;
                State = JobStatus.Queued;
                break;
            case EventTypes.Started when !Finished:
                Total = e.DataAs<JobStartedData>().ChunksTotal;
                State = JobStatus.Processing;
                break;
            case EventTypes.Progress when !Finished:
                var progress = e.DataAs<JobProgressData>();
                Counts(progress.ChunksProcessed, progress.ChunksFailed, progress.ChunksTotal);
                State = JobStatus.Processing;
                break;
            case EventTypes.Completed or EventTypes.Failed:
                var finished = e.DataAs<JobFinishedData>();
                Counts(finished.ChunksProcessed, finished.ChunksFailed, finished.ChunksTotal);
                End(EventTypes.TerminalStatus(e.EventType)!, finished.Error);
                break;
            case EventTypes.Cancelled:
                var cancelled = e.DataAs<JobCancelledData>();
                Counts(cancelled.ChunksProcessed, cancelled.ChunksFailed, cancelled.ChunksTotal);
                End(JobStatus.Cancelled, null);
                break;
        }
    }

    public void Apply(JobSnapshot job)
    {
        Counts(job.ChunksProcessed, job.ChunksFailed, job.ChunksTotal);
        if (job.IsFinished) End(job.Status, job.Error);
        else State = job.Status;
    }

    private void Counts(int processed, int failed, int total)
    {
        Processed = processed;
        Failed = failed;
        Total = total;
    }

    private void End(string state, string? error)
    {
        State = state;
        Error = string.IsNullOrWhiteSpace(error) ? Error : error;
        Finished = true;
    }
}
