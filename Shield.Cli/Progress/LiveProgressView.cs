using Shield.Contracts.Jobs;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Shield.Cli.Progress;

/// <summary>
/// For a terminal: Spectre.Console's live progress display, one row per file: a spinner while its job runs, the
/// file, a bar (yellow while the job runs, green once it completed, red if it did not), the percentage, the chunk
/// counts and state, and the time the job has been processing and the time it probably still needs. Spectre redraws
/// the rows ten times a second; notes are printed above them.
/// </summary>
public sealed class LiveProgressView : IProgressView
{
    private const int BarWidth = 30;

    /// <summary>How far back the remaining time's speed estimate looks.</summary>
    private static readonly TimeSpan SpeedWindow = TimeSpan.FromMinutes(10);

    private readonly IAnsiConsole _terminal;
    private readonly Lock _lock = new();
    private readonly Dictionary<FileJob, ProgressTask> _tasks = [];
    private readonly TaskCompletionSource _followed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _display;

    public LiveProgressView(IAnsiConsole terminal, IReadOnlyList<FileJob> jobs, TimeProvider time)
    {
        _terminal = terminal;
        _display = new Spectre.Console.Progress(terminal, time)
            .AutoClear(false)
            .Columns(
                new SpinnerColumn(),
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new JobBarColumn(),
                // Not green at 100%: a job whose chunks all failed is at 100% too.
                new PercentageColumn { CompletedStyle = Style.Plain },
                new JobStateColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                lock (_lock)
                {
                    foreach (var job in jobs)
                    {
                        var task = context.AddTask(Markup.Escape(job.DisplayName), autoStart: false, maxValue: job.Total);
                        // Spectre estimates the speed from the last 30 s by default; a chunk can take longer than that.
                        task.MaxSamplingAge = SpeedWindow;
                        _tasks[job] = task;
                        Update(task, job);
                    }
                }
                await _followed.Task;
            });
    }

    public void Changed(FileJob job)
    {
        lock (_lock)
        {
            if (_tasks.TryGetValue(job, out var task)) Update(task, job);
        }
    }

    public void Note(string message) => _terminal.WriteLine(message);

    public async Task CompleteAsync()
    {
        _followed.TrySetResult();
        await _display;
    }

    public async ValueTask DisposeAsync() => await CompleteAsync();

    /// <summary>
    /// The task's clock runs while the job processes: it starts when the job does and stops when the job ends, so
    /// the elapsed time is the job's, and the remaining time is estimated from how fast its chunks are handled.
    /// </summary>
    private static void Update(ProgressTask task, FileJob job)
    {
        var outcome = job.Completed ? Outcome.Completed : job.Finished ? Outcome.NotCompleted : Outcome.Running;
        task.Tag = new Row(ProgressLine.Counts(job), outcome);
        if (task.MaxValue != job.Total) task.MaxValue = job.Total;
        if (task.Value != job.Processed + job.Failed) task.Value = job.Processed + job.Failed;
        if (!task.IsStarted && job.State == JobStatus.Processing) task.StartTask();
        if (job.Finished && task.StopTime is null) task.StopTask();
    }

    private enum Outcome { Running, Completed, NotCompleted }

    /// <summary>What the columns show of a job, replaced whole on each change so that a redraw never sees half of one.</summary>
    private sealed record Row(string Counts, Outcome Outcome);

    private static Outcome OutcomeOf(ProgressTask task) => task.Tag is Row row ? row.Outcome : Outcome.Running;

    /// <summary>Spectre's bar, coloured by how the job stands rather than by how full it is.</summary>
    private sealed class JobBarColumn : ProgressColumn
    {
        private readonly ProgressBarColumn _running = Bar(Color.Yellow);
        private readonly ProgressBarColumn _completed = Bar(Color.Green);
        private readonly ProgressBarColumn _notCompleted = Bar(Color.Red);

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => (OutcomeOf(task) switch
        {
            Outcome.Completed => _completed,
            Outcome.NotCompleted => _notCompleted,
            _ => _running,
        }).Render(options, task, deltaTime);

        /// <summary>On a narrow terminal the state column gives way first; the bar only once the state is as narrow as it.</summary>
        public override int? GetColumnWidth(RenderOptions options) => BarWidth;

        private static ProgressBarColumn Bar(Color color) => new() { Width = BarWidth, CompletedStyle = color, FinishedStyle = color };
    }

    /// <summary><c>3/8 chunks  processing</c>; green once completed, red with the error if the job did not complete.</summary>
    private sealed class JobStateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var row = task.Tag as Row;
            var style = row?.Outcome switch
            {
                Outcome.Completed => new Style(Color.Green),
                Outcome.NotCompleted => new Style(Color.Red),
                _ => Style.Plain,
            };
            return new OneLine(row?.Counts ?? "", style);
        }
    }

    /// <summary>
    /// Text that keeps to one line, cut with an ellipsis where the terminal is too narrow: a long error shortens its
    /// own row rather than wrapping it or squeezing the other columns (the full error is printed when the run ends).
    /// </summary>
    private sealed class OneLine(string text, Style style) : Renderable
    {
        private const int NarrowestWidth = 12;

        protected override Measurement Measure(RenderOptions options, int maxWidth) =>
            new(Math.Min(NarrowestWidth, Math.Min(text.Length, maxWidth)), Math.Min(text.Length, maxWidth));

        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            yield return new Segment(text.Length <= maxWidth ? text : text[..Math.Max(0, maxWidth - 1)] + "…", style);
        }
    }
}
