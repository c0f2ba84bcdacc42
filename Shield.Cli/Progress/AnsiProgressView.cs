using System.Text;

namespace Shield.Cli.Progress;

/// <summary>
/// For a terminal: one progress bar per file, redrawn in place with ANSI cursor movement at most ten times a second.
/// </summary>
public sealed class AnsiProgressView : IProgressView
{
    private const int BarWidth = 30;
    private const string Green = "\e[32m", Red = "\e[31m", Yellow = "\e[33m", Reset = "\e[0m";
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private readonly TextWriter _output;
    private readonly IReadOnlyList<FileJob> _jobs;
    private readonly int _nameWidth;
    private readonly int _screenWidth = ScreenWidth();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private bool _dirty;
    private bool _drawn;

    public AnsiProgressView(TextWriter output, IReadOnlyList<FileJob> jobs)
    {
        _output = output;
        _jobs = jobs;
        _nameWidth = Math.Clamp(jobs.Count == 0 ? 0 : jobs.Max(j => j.DisplayName.Length), 8, 40);
        lock (_lock) Draw();
        _ticker = TickAsync(_stop.Token);
    }

    public void Changed(FileJob job)
    {
        lock (_lock) _dirty = true;
    }

    public void Note(string message)
    {
        lock (_lock)
        {
            Erase();
            _output.WriteLine(message);
            Draw();
        }
    }

    public async Task CompleteAsync()
    {
        await _stop.CancelAsync();
        await _ticker;
        lock (_lock)
        {
            Erase();
            Draw();
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RedrawInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                lock (_lock)
                {
                    if (!_dirty) continue;
                    Erase();
                    Draw();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Moves the cursor back to the first bar and clears down to the end of the screen.</summary>
    private void Erase()
    {
        if (_drawn && _jobs.Count > 0) _output.Write($"\e[{_jobs.Count}A\r\e[J");
        _drawn = false;
    }

    private void Draw()
    {
        var text = new StringBuilder();
        foreach (var job in _jobs)
        {
            var filled = job.Total <= 0 ? 0 : Math.Clamp((job.Processed + job.Failed) * BarWidth / job.Total, 0, BarWidth);
            var colour = job.Completed ? Green : job.Finished ? Red : Yellow;
            text.Append(ProgressLine.Name(job.DisplayName, _nameWidth)).Append(' ')
                .Append(colour).Append(new string('█', filled)).Append(Reset).Append(new string('░', BarWidth - filled)).Append(' ')
                .Append(Fit(ProgressLine.Describe(job), _screenWidth - _nameWidth - BarWidth - 2)).Append('\n');
        }
        _output.Write(text.ToString());
        _output.Flush();
        _drawn = true;
        _dirty = false;
    }

    /// <summary>A line that wrapped would throw off the cursor movement, so each is cut to the screen.</summary>
    private static string Fit(string text, int width) =>
        width < 10 || text.Length <= width ? text : text[..(width - 1)] + "…";

    private static int ScreenWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth - 1 : 119;
        }
        catch (IOException)
        {
            return 119;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _ticker;
        _stop.Dispose();
    }
}
