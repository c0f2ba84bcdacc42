using System.Text.Json;
using System.Text.RegularExpressions;
using Shield.Cli;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Cli;

/// <summary><c>shield ingest</c>, <c>status</c> and <c>watch</c> against the real stack (AppHost, Redis, PostgreSQL, Api, Workers).</summary>
[Collection(StackCollection.Name)]
public sealed partial class CliEndToEndTests(ShieldStackFixture stack) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("shield-cli-e2e-").FullName;

    private string ApiUrl => stack.Api.BaseAddress!.ToString();

    [Fact]
    public async Task Ingest_a_folder_of_two_files_completes_both_jobs_with_LightRAG_sized_chunks()
    {
        var (shortFile, longFile) = await WriteTwoDocumentsAsync("docs");

        var result = await CliRun.RunAsync("ingest", Path.Combine(_folder, "docs"), "--api", ApiUrl, "--api-key", stack.ApiKey, "--source-type", "cli-test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Ingesting 2 files (4 chunks", result.Output);
        Assert.Contains("alpha.md: 100%  1/1 chunks  completed", result.Output);
        Assert.Contains("notes/beta.txt: 100%  3/3 chunks  completed", result.Output);
        Assert.Contains("Done: 2 jobs completed, 4 chunks processed.", result.Output);
        Assert.Equal("", result.Error);

        var jobs = JobIds(result.Output);
        Assert.Equal(2, jobs.Count);
        foreach (var (file, chunks, path) in new[] { ("alpha.md", 1, shortFile), ("notes/beta.txt", 3, longFile) })
        {
            var job = JsonDocument.Parse(await stack.Api.GetStringAsync($"/jobs/{JobOf(jobs, file)}")).RootElement;
            Assert.Equal("completed", job.GetProperty("status").GetString());
            Assert.Equal("cli-test", job.GetProperty("source_type").GetString());
            Assert.Equal(chunks, job.GetProperty("chunks_total").GetInt32());
            Assert.Equal(chunks, job.GetProperty("chunks_processed").GetInt32());

            // Each chunk was stored under the file's path and its index; the job knows the file's name.
            var id = Guid.Parse(JobOf(jobs, file));
            for (var index = 0; index < chunks; index++)
            {
                Assert.Equal(1, await stack.ScalarAsync("SELECT count(*) FROM job_chunks WHERE job_id = @id AND source_uri = @uri",
                    ("id", id), ("uri", $"{path}#chunk-{index}")));
            }
            Assert.Equal(1, await stack.ScalarAsync("SELECT count(*) FROM jobs WHERE id = @id AND metadata->>'file_name' = @name",
                ("id", id), ("name", Path.GetFileName(path))));
        }
    }

    [Fact]
    public async Task Status_prints_a_finished_job_and_says_when_a_job_does_not_exist()
    {
        await WriteTwoDocumentsAsync("status");
        var ingest = await CliRun.RunAsync("ingest", Path.Combine(_folder, "status", "notes"), "--api", ApiUrl, "--api-key", stack.ApiKey);
        Assert.True(ingest.ExitCode == 0, ingest.ToString());
        var jobId = Assert.Single(JobIds(ingest.Output)).Value;

        // A read key is enough to follow jobs.
        var status = await CliRun.RunAsync("status", jobId, "--api", ApiUrl, "--api-key", stack.ReadKey);

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"job:         {jobId}", status.Output);
        Assert.Contains("state:       completed", status.Output);
        Assert.Contains("source type: file", status.Output);
        Assert.Contains("chunks:      3 processed, 0 failed, 3 total (100%)", status.Output);
        Assert.Contains("error:       none", status.Output);

        var missing = Guid.NewGuid().ToString();
        var unknown = await CliRun.RunAsync("status", missing, "--api", ApiUrl, "--api-key", stack.ReadKey);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains($"404 Job not found: Job {missing} not found", unknown.Error);
    }

    [Fact]
    public async Task Ingest_with_a_wrong_API_key_fails_with_the_APIs_reason_and_submits_nothing()
    {
        await WriteTwoDocumentsAsync("denied");
        var jobsBefore = await stack.ScalarAsync("SELECT count(*) FROM jobs");

        var result = await CliRun.RunAsync("ingest", Path.Combine(_folder, "denied"), "--api", ApiUrl, "--api-key", "not-the-key");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("401 API key required: The API key is not valid.", result.Error);
        Assert.Contains("--api-key or SHIELD_API_KEY", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain(": job ", result.Output);
        Assert.Equal(jobsBefore, await stack.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task Status_without_a_key_and_ingest_with_a_read_key_are_refused_with_the_APIs_reason()
    {
        await WriteTwoDocumentsAsync("read-only");
        var jobsBefore = await stack.ScalarAsync("SELECT count(*) FROM jobs");

        var status = await CliRun.RunAsync("status", Guid.NewGuid().ToString(), "--api", ApiUrl);
        var ingest = await CliRun.RunAsync("ingest", Path.Combine(_folder, "read-only"), "--api", ApiUrl, "--api-key", stack.ReadKey);

        Assert.Equal(1, status.ExitCode);
        Assert.Contains("401 API key required", status.Error);
        Assert.Contains("--api-key or SHIELD_API_KEY", status.Error);
        Assert.Equal(1, ingest.ExitCode);
        Assert.Contains("403 Write key required", ingest.Error);
        Assert.Equal(jobsBefore, await stack.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task Watch_with_a_job_prints_each_of_its_events_on_one_line()
    {
        await WriteTwoDocumentsAsync("watch");
        var ingest = await CliRun.RunAsync("ingest", Path.Combine(_folder, "watch", "notes"), "--api", ApiUrl, "--api-key", stack.ApiKey);
        Assert.True(ingest.ExitCode == 0, ingest.ToString());
        var jobId = Assert.Single(JobIds(ingest.Output)).Value;

        // `shield watch` runs until Ctrl+C: here, until its output shows the job's end.
        var output = new CapturedWriter();
        var error = new CapturedWriter();
        using var ctrlC = new CancellationTokenSource();
        var watch = ShieldCli.RunAsync(["watch", "--job", jobId, "--api", ApiUrl, "--api-key", stack.ReadKey], output, error, ctrlC.Token);
        await Eventually.TrueAsync(() => Task.FromResult(output.ToString().Contains("ingestion.completed")), TimeSpan.FromMinutes(1),
            "watch did not print the job's completion");
        await ctrlC.CancelAsync();
        Assert.Equal(0, await watch);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Contains($"job {jobId}", line));
        Assert.Collection(lines,
            line => Assert.Contains("ingestion.queued", line),
            line => Assert.Contains("ingestion.started", line),
            line => Assert.Contains("1/3 chunks done, 0 failed (33.33%)", line),
            line => Assert.Contains("2/3 chunks done, 0 failed (66.67%)", line),
            line => Assert.Contains("3/3 chunks done, 0 failed (100%)", line),
            line => Assert.Contains("ingestion.completed", line));
        Assert.Contains("3 processed, 0 failed of 3", lines[^1]);
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public async Task Ingest_on_a_terminal_draws_each_job_live_and_ends_with_the_failed_one_in_red()
    {
        await using var faults = new InjectedChunkFailures(stack);
        await faults.RejectAsync(long.MaxValue);
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "terminal")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "good.md"), $"# Good\n\nDocument {Guid.NewGuid():N}: Grace Hopper wrote the first compiler.\n");
        await File.WriteAllTextAsync(Path.Combine(folder, "poisoned.md"), $"{faults.Marker} The database refuses this note every time.\n");
        using var terminal = new RecordingTerminal(width: 220);

        var result = await CliRun.RunInTerminalAsync(terminal, "ingest", folder, "--api", ApiUrl, "--api-key", stack.ApiKey);

        Assert.True(result.ExitCode == 1, result + "\n--- terminal ---\n" + terminal.Output);
        Assert.Matches(@"good\.md +━{30} +100% 1/1 chunks  completed +\d\d:\d\d:\d\d 00:00:00$", terminal.RowOf("good.md"));
        Assert.Contains("\e[38;5;2m1/1 chunks  completed", terminal.StyledRowOf("good.md"));
        Assert.Matches(@"poisoned\.md +━{30} +100% 1/1 chunks  failed, 1 failed: .*injected failure", terminal.RowOf("poisoned.md"));
        Assert.Contains("\e[38;5;9m1/1 chunks  failed", terminal.StyledRowOf("poisoned.md"));
        // On a terminal the rows are redrawn in place: no plain progress lines among the other output.
        Assert.DoesNotContain("100%", result.Output);
        Assert.Contains("Ingesting 2 files (2 chunks", result.Output);
        Assert.Contains("1 of 2 jobs did not complete:", result.Error);
        Assert.Matches(@"poisoned\.md \(job [0-9a-f-]{36}\): failed, 1 of 1 chunk failed: .*injected failure", result.Error);
    }

    /// <summary>
    /// <c>alpha.md</c> (one chunk) and <c>notes/beta.txt</c> (between 2,200 and 3,300 tokens: three chunks), with text
    /// unique to the test so no other test's chunks share their content-addressed ids.
    /// </summary>
    private async Task<(string Short, string Long)> WriteTwoDocumentsAsync(string name)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder, name, "notes")).Parent!.FullName;
        var marker = $"Document {Guid.NewGuid():N}";
        var shortPath = Path.Combine(folder, "alpha.md");
        var longPath = Path.Combine(folder, "notes", "beta.txt");
        await File.WriteAllTextAsync(shortPath, $"# Alpha\n\n{marker}: Ada Lovelace wrote the first program.\n");
        var prose = SampleText.Prose(2200, seed: 5, marker: marker);
        Assert.InRange(new Shield.Documents.Chunking.TokenChunker().Tokenizer.CountTokens(prose), 2201, 3299);
        await File.WriteAllTextAsync(longPath, prose);
        return (shortPath, longPath);
    }

    /// <summary>The <c>path: job id (n chunks)</c> lines <c>shield ingest</c> prints after each submission, keyed by the path as shown.</summary>
    private static Dictionary<string, string> JobIds(string output) =>
        SubmittedLine().Matches(output).ToDictionary(m => m.Groups["file"].Value, m => m.Groups["id"].Value);

    private static string JobOf(Dictionary<string, string> jobs, string file) =>
        jobs.Single(j => j.Key.EndsWith(Path.DirectorySeparatorChar + file.Replace('/', Path.DirectorySeparatorChar), StringComparison.Ordinal)).Value;

    [GeneratedRegex(@"^(?<file>.+): job (?<id>[0-9a-f-]{36}) \(", RegexOptions.Multiline)]
    private static partial Regex SubmittedLine();

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
