namespace Shield.Cli.Progress;

/// <summary>Shows the files' jobs as they progress. Called from several followers at once.</summary>
public interface IProgressView : IAsyncDisposable
{
    /// <summary>A job changed (its counts, state or error).</summary>
    void Changed(FileJob job);

    /// <summary>A message between the progress lines (a stream that dropped, say).</summary>
    void Note(string message);

    /// <summary>Shows the final state of every job.</summary>
    Task CompleteAsync();
}

public static class ProgressLine
{
    /// <summary><c>notes.md  100%  3/3 chunks  completed</c>, with failures and the error when there are.</summary>
    public static string Describe(FileJob job) => $"{job.Percent,3}%  {Counts(job)}";

    /// <summary><c>3/3 chunks  failed, 1 failed: the error</c>: what the job has done and how it stands.</summary>
    public static string Counts(FileJob job)
    {
        var text = $"{job.Processed + job.Failed}/{job.Total} chunks  {job.State}";
        if (job.Failed > 0) text += $", {job.Failed} failed";
        if (job.Error is not null) text += $": {job.Error}";
        return text;
    }
}
