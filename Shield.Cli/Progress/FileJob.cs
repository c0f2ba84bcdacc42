using Shield.Cli.Api;

namespace Shield.Cli.Progress;

/// <summary>One file's job as the command line follows it. Changed only by its own follower; read by the view under its lock.</summary>
public sealed class FileJob(string displayName, int chunks)
{
    public string DisplayName { get; } = displayName;
    public string? JobId { get; set; }
    public int Total { get; private set; } = chunks;
    public int Processed { get; private set; }
    public int Failed { get; private set; }

    /// <summary>The job's state (<c>queued</c>, <c>processing</c>, <c>completed</c>, …) or the command line's own (<c>submitting</c>, <c>not submitted</c>, <c>unknown</c>).</summary>
    public string State { get; private set; } = "submitting";
    public string? Error { get; private set; }
    public bool Finished { get; private set; }

    public bool Completed => State == JobStates.Completed;

    /// <summary>Whole percent of chunks handled; 100 only when all are.</summary>
    public int Percent => Total <= 0 ? 0 : (int)Math.Floor((Processed + Failed) * 100.0 / Total);

    public void Accepted(IngestAccepted accepted)
    {
        JobId = accepted.JobId;
        Total = accepted.ChunksTotal;
        State = accepted.Status;
    }

    public void NotSubmitted(string error) => End("not submitted", error);

    /// <summary>The command line stopped following before the job ended (the Api went away).</summary>
    public void Lost(string error) => End("unknown", error);

    public void Apply(ShieldEvent e)
    {
        if (e.Int("chunks_total") is { } total) Total = total;
        if (e.Int("chunks_processed") is { } processed) Processed = processed;
        if (e.Int("chunks_failed") is { } failed) Failed = failed;
        if (EventTypes.FinalState(e.EventType) is { } final)
        {
            End(final, e.Text("error"));
        }
        else if (e.EventType is EventTypes.Started or EventTypes.Progress)
        {
            State = "processing";
        }
        else if (e.EventType == EventTypes.Queued && !Finished)
        {
            State = "queued";
        }
    }

    public void Apply(JobSnapshot job)
    {
        Total = job.ChunksTotal;
        Processed = job.ChunksProcessed;
        Failed = job.ChunksFailed;
        if (job.IsFinished) End(job.Status, job.Error);
        else State = job.Status;
    }

    private void End(string state, string? error)
    {
        State = state;
        Error = string.IsNullOrWhiteSpace(error) ? Error : error;
        Finished = true;
    }
}
