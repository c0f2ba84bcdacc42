namespace Shield.Cli.Progress;

/// <summary>For output that is not a terminal: one line per visible change (state or whole percent) of a job.</summary>
public sealed class PlainProgressView(TextWriter output) : IProgressView
{
    private readonly Lock _lock = new();
    private readonly Dictionary<FileJob, string> _last = [];

    public void Changed(FileJob job)
    {
        lock (_lock)
        {
            var line = ProgressLine.Describe(job);
            if (_last.TryGetValue(job, out var previous) && previous == line) return;
            _last[job] = line;
            output.WriteLine($"{job.DisplayName}: {line.TrimStart()}");
        }
    }

    public void Note(string message)
    {
        lock (_lock)
        {
            output.WriteLine(message);
        }
    }

    public Task CompleteAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
