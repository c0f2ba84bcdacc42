using Microsoft.Extensions.Time.Testing;
using Shield.Cli.Progress;
using Shield.Contracts.Events;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Cli;

/// <summary>
/// What <c>shield ingest</c> shows on a terminal while its jobs run and when one fails, drawn by Spectre.Console into
/// Spectre.Console.Testing's console; the jobs change through the same event records the Api streams, on a clock the
/// test moves.
/// </summary>
public sealed class LiveProgressViewTests : IDisposable
{
    private const string Yellow = "\e[38;5;11m", Green = "\e[38;5;2m", Red = "\e[38;5;9m";

    private readonly RecordingTerminal _terminal = new(width: 160);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private readonly FileJob _alpha = Submitted("docs/alpha.md", chunks: 2);
    private readonly FileJob _beta = Submitted("docs/notes/beta.txt", chunks: 4);

    [Fact]
    public async Task While_jobs_run_each_file_has_a_spinner_a_yellow_bar_its_counts_and_elapsed_and_remaining_time()
    {
        await using var view = new LiveProgressView(_terminal, [_alpha, _beta], _clock);
        Apply(view, _alpha, EventTypes.Started, new JobStartedData(2));
        _clock.Advance(TimeSpan.FromSeconds(90));
        Apply(view, _alpha, EventTypes.Progress, new JobProgressData(1, 0, 2, 50));

        await Eventually.TrueAsync(() => Task.FromResult(_terminal.RowOf("docs/alpha.md").Contains("1/2 chunks")), TimeSpan.FromSeconds(10),
            "the terminal never showed alpha's progress");

        // One chunk in the minute and a half since the job started: the other needs about as long again.
        var alpha = _terminal.RowOf("docs/alpha.md");
        AssertRow(@"^[⣷⣯⣟⡿⢿⣻⣽⣾] docs/alpha\.md +━{30} +50% 1/2 chunks  processing +00:01:30 00:01:30$", alpha);
        Assert.Contains($"{Yellow}━━━", _terminal.StyledRowOf("docs/alpha.md"));
        // Beta is still queued: no spinner, and no clock until it starts.
        AssertRow(@"^docs/notes/beta\.txt +━{30} +0% 0/4 chunks  queued +--:--:-- --:--:--$", _terminal.RowOf("docs/notes/beta.txt"));
    }

    [Fact]
    public async Task A_job_that_fails_ends_red_with_its_error_and_the_last_frame_stays_on_screen()
    {
        var view = new LiveProgressView(_terminal, [_alpha, _beta], _clock);
        Apply(view, _alpha, EventTypes.Started, new JobStartedData(2));
        Apply(view, _beta, EventTypes.Started, new JobStartedData(4));
        _clock.Advance(TimeSpan.FromSeconds(20));
        Apply(view, _alpha, EventTypes.Progress, new JobProgressData(1, 0, 2, 50));
        Apply(view, _alpha, EventTypes.Completed, new JobFinishedData(2, 0, 2, 20));
        view.Note("docs/notes/beta.txt: the event stream ended; polling the job instead.");
        _clock.Advance(TimeSpan.FromSeconds(10));
        Apply(view, _beta, EventTypes.Failed, new JobFinishedData(3, 1, 4, 30, "ValueError: bad chunk"));

        await view.CompleteAsync();

        AssertRow(@"^docs/alpha\.md +━{30} +100% 2/2 chunks  completed +00:00:20 00:00:00$", _terminal.RowOf("docs/alpha.md"));
        Assert.Contains($"{Green}━━━", _terminal.StyledRowOf("docs/alpha.md"));
        Assert.Contains($"{Green}2/2 chunks  completed", _terminal.StyledRowOf("docs/alpha.md"));
        var beta = _terminal.RowOf("docs/notes/beta.txt");
        AssertRow(@"^docs/notes/beta\.txt +━{30} +100% 4/4 chunks  failed, 1 failed: ValueError: bad chunk +00:00:30 00:00:00$", beta);
        Assert.Contains($"{Red}━━━", _terminal.StyledRowOf("docs/notes/beta.txt"));
        Assert.Contains($"{Red}4/4 chunks  failed, 1 failed: ValueError: bad chunk", _terminal.StyledRowOf("docs/notes/beta.txt"));
        // The note stands on its own line above the rows; the cursor Spectre hid while drawing is back.
        Assert.Contains(_terminal.Output.Split('\n'), line => RecordingTerminal.Plain(line) == "docs/notes/beta.txt: the event stream ended; polling the job instead.");
        Assert.EndsWith("\e[?25h", _terminal.Output.TrimEnd());
    }

    [Fact]
    public async Task An_error_too_long_for_the_terminal_is_cut_short_on_its_own_row()
    {
        using var narrow = new RecordingTerminal(width: 80);
        var view = new LiveProgressView(narrow, [_beta], _clock);
        Apply(view, _beta, EventTypes.Failed, new JobFinishedData(0, 4, 4, 1, "TimeoutException: the model did not answer within 120 seconds"));

        await view.CompleteAsync();

        var row = narrow.RowOf("docs/notes/beta.txt");
        AssertRow(@"^docs/notes/beta\.txt +━+ +100% 4/4 chunks  f[^ ]*… 00:00:00 00:00:00$", row);
        Assert.True(row.Length <= 80, row);
    }

    /// <summary>Fails with the whole row, which <c>Assert.Matches</c> would cut short.</summary>
    private static void AssertRow(string pattern, string row) =>
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(row, pattern), $"row: [{row}]\npattern: {pattern}");

    private void Apply<TData>(LiveProgressView view, FileJob job, string type, TData data) where TData : notnull
    {
        job.Apply(IngestionEvent.Create(type, job.JobId, _clock.GetUtcNow(), data));
        view.Changed(job);
    }

    private static FileJob Submitted(string name, int chunks)
    {
        var job = new FileJob(name, chunks);
        job.Queued(Guid.CreateVersion7(), chunks);
        return job;
    }

    public void Dispose() => _terminal.Dispose();
}
