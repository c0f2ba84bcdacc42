using System.Text.Json;
using System.Text.RegularExpressions;
using Shield.Cli;
using Shield.Documents;
using Shield.Tests.Documents;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Cli;

/// <summary><c>shield ingest</c>, <c>status</c>, <c>watch</c> and <c>documents</c> against the real stack (AppHost, Redis, PostgreSQL, Api, Workers).</summary>
[Collection(StackCollection.Name)]
public sealed partial class CliEndToEndTests(ShieldStackFixture stack) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("shield-cli-e2e-").FullName;

    private string ApiUrl => stack.Api.BaseAddress!.ToString();

    [Fact]
    public async Task Ingest_uploads_text_PDF_and_docx_files_completes_their_jobs_and_a_second_run_queues_nothing()
    {
        var (shortFile, longFile) = await WriteTwoDocumentsAsync("docs");
        var marker = Guid.NewGuid().ToString("N");
        var pdf = Path.Combine(_folder, "docs", "report.pdf");
        await File.WriteAllBytesAsync(pdf, TestDocuments.Pdf($"Report {marker}", "Marie Curie won two Nobel prizes."));
        var docx = Path.Combine(_folder, "docs", "notes", "letter.docx");
        await File.WriteAllBytesAsync(docx, TestDocuments.Docx($"Letter {marker}", "Alan Turing proposed the imitation game."));

        var result = await CliRun.RunAsync("ingest", Path.Combine(_folder, "docs"), "--api", ApiUrl, "--api-key", stack.ApiKey);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Uploading 4 files to ", result.Output);
        Assert.Contains("alpha.md: 100%  1/1 chunks  completed", result.Output);
        Assert.Contains("notes/beta.txt: 100%  3/3 chunks  completed", result.Output);
        Assert.Contains("report.pdf: 100%  1/1 chunks  completed", result.Output);
        Assert.Contains("notes/letter.docx: 100%  1/1 chunks  completed", result.Output);
        Assert.Contains("Done: 4 jobs completed, 6 chunks processed.", result.Output);
        Assert.Equal("", result.Error);

        var queued = Queued(result.Output);
        Assert.Equal(4, queued.Count);
        foreach (var (file, chunks, path) in new[] { ("alpha.md", 1, shortFile), ("notes/beta.txt", 3, longFile), ("report.pdf", 1, pdf), ("notes/letter.docx", 1, docx) })
        {
            var (documentId, jobId) = Of(queued, file);
            var job = JsonDocument.Parse(await stack.Api.GetStringAsync($"/jobs/{jobId}")).RootElement;
            Assert.Equal("completed", job.GetProperty("status").GetString());
            Assert.Equal("document", job.GetProperty("source_type").GetString());
            Assert.Equal(chunks, job.GetProperty("chunks_processed").GetInt32());
            var document = JsonDocument.Parse(await stack.Api.GetStringAsync($"/documents/{documentId}")).RootElement;
            Assert.Equal("processed", document.GetProperty("status").GetString());
            Assert.Equal(Path.GetFileName(path), document.GetProperty("source_name").GetString());
            Assert.Equal(chunks, document.GetProperty("chunk_count").GetInt32());

            // The Api cut the file: each chunk is stored under the file's name and its index.
            for (var index = 0; index < chunks; index++)
            {
                Assert.Equal(1, await stack.ScalarAsync("SELECT count(*) FROM job_chunks WHERE job_id = @id AND source_uri = @uri",
                    ("id", Guid.Parse(jobId)), ("uri", $"{Path.GetFileName(path)}#chunk-{index}")));
            }
        }
        // The text files' ids are LightRAG's: doc- and the MD5 of the text.
        Assert.Equal(DocumentIds.ForCleanText(DocumentIds.Clean(await File.ReadAllTextAsync(shortFile))), Of(queued, "alpha.md").DocumentId);

        // Again, with a copy of one file: nothing is queued, each file says why.
        File.Copy(shortFile, Path.Combine(_folder, "docs", "notes", "copy-of-alpha.md"));
        var jobsBefore = await stack.ScalarAsync("SELECT count(*) FROM jobs");
        var again = await CliRun.RunAsync("ingest", Path.Combine(_folder, "docs"), "--api", ApiUrl, "--api-key", stack.ApiKey);

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Matches($@"(?m)alpha\.md: existing {Of(queued, "alpha.md").DocumentId} \(processed, 1 chunk\); nothing queued$", again.Output);
        Assert.Matches($@"(?m)report\.pdf: existing {Of(queued, "report.pdf").DocumentId} \(processed, 1 chunk\); nothing queued$", again.Output);
        Assert.Matches($@"(?m)copy-of-alpha\.md: duplicate of .*alpha\.md \({Of(queued, "alpha.md").DocumentId}\); nothing queued$", again.Output);
        Assert.Contains("Done: nothing to ingest; 5 files already known, nothing queued for them.", again.Output);
        Assert.Empty(Queued(again.Output));
        Assert.Equal(jobsBefore, await stack.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task Documents_list_show_and_delete_wait_see_an_ingested_text_and_PDF_through_to_their_removal()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "manage")).FullName;
        var marker = Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(Path.Combine(folder, "memo.txt"), $"Memo {marker}: Katherine Johnson computed the trajectories.\n");
        var pdfBytes = TestDocuments.Pdf($"Brief {marker}", "Rosalind Franklin photographed DNA.");
        await File.WriteAllBytesAsync(Path.Combine(folder, "brief.pdf"), pdfBytes);
        var ingest = await CliRun.RunAsync("ingest", folder, "--api", ApiUrl, "--api-key", stack.ApiKey);
        Assert.True(ingest.ExitCode == 0, ingest.ToString());
        var queued = Queued(ingest.Output);
        var (memo, _) = Of(queued, "memo.txt");
        var (brief, briefJob) = Of(queued, "brief.pdf");

        // A read key is enough to list and show.
        var list = await CliRun.RunAsync("documents", "list", "--status", "processed", "--limit", "100", "--api", ApiUrl, "--api-key", stack.ReadKey);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"^DOCUMENT +STATUS +CHUNKS +UPDATED +SOURCE", list.Output);
        Assert.Matches($@"(?m)^{memo} +processed +1  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d  memo\.txt$", list.Output);
        Assert.Matches($@"(?m)^{brief} +processed +1  .*  brief\.pdf$", list.Output);
        var none = await CliRun.RunAsync("documents", "list", "--status", "deleting", "--api", ApiUrl, "--api-key", stack.ReadKey);
        Assert.DoesNotContain(brief, none.Output);

        var show = await CliRun.RunAsync("documents", "show", brief, "--api", ApiUrl, "--api-key", stack.ReadKey);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains($"document: {brief}", show.Output);
        Assert.Contains("state:    processed", show.Output);
        Assert.Contains($"source:   brief.pdf (application/pdf, {pdfBytes.Length:N0} bytes)", show.Output);
        Assert.Contains($"Brief {marker}", show.Output);
        Assert.Contains("chunks:   1", show.Output);
        Assert.Contains("error:    none", show.Output);
        Assert.Matches($@"(?m)^jobs: +ingest +{briefJob}  ", show.Output);

        Assert.Equal(1, await stack.ScalarAsync("SELECT count(*) FROM chunks WHERE content LIKE @text", ("text", $"%Brief {marker}%")));

        // Deleting needs the write key; with it, --wait returns once the document is gone.
        var refused = await CliRun.RunAsync("documents", "delete", brief, "--api", ApiUrl, "--api-key", stack.ReadKey);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("403 Write key required", refused.Error);
        var delete = await CliRun.RunAsync("documents", "delete", brief, "--wait", "--api", ApiUrl, "--api-key", stack.ApiKey);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Matches($@"^{brief}: deleting, job [0-9a-f-]{{36}}", delete.Output);
        Assert.Contains($"{brief}: deletion completed", delete.Output);
        Assert.EndsWith($"Deleted {brief}.{Environment.NewLine}", delete.Output);

        var gone = await CliRun.RunAsync("documents", "show", brief, "--api", ApiUrl, "--api-key", stack.ReadKey);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains($"404 Document not found: Document {brief} not found", gone.Error);
        var after = await CliRun.RunAsync("documents", "list", "--limit", "100", "--api", ApiUrl, "--api-key", stack.ReadKey);
        Assert.DoesNotContain(brief, after.Output);
        Assert.Contains(memo, after.Output);
        // Its text left the knowledge base with it; the other document's stayed.
        Assert.Equal(0, await stack.ScalarAsync("SELECT count(*) FROM chunks WHERE content LIKE @text", ("text", $"%Brief {marker}%")));
        Assert.Equal(1, await stack.ScalarAsync("SELECT count(*) FROM chunks WHERE content LIKE @text", ("text", $"%Memo {marker}%")));

        // Without --wait the command returns once the deletion is queued.
        var queuedOnly = await CliRun.RunAsync("documents", "delete", memo, "--api", ApiUrl, "--api-key", stack.ApiKey);
        Assert.True(queuedOnly.ExitCode == 0, queuedOnly.ToString());
        Assert.Contains("Follow it with `shield status ", queuedOnly.Output);
        var missing = await CliRun.RunAsync("documents", "delete", "doc-" + new string('0', 32), "--api", ApiUrl, "--api-key", stack.ApiKey);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("404 Document not found", missing.Error);
    }

    [Fact]
    public async Task Status_prints_a_finished_job_and_says_when_a_job_does_not_exist()
    {
        await WriteTwoDocumentsAsync("status");
        var ingest = await CliRun.RunAsync("ingest", Path.Combine(_folder, "status", "notes"), "--api", ApiUrl, "--api-key", stack.ApiKey);
        Assert.True(ingest.ExitCode == 0, ingest.ToString());
        var jobId = Assert.Single(Queued(ingest.Output)).Value.JobId;

        // A read key is enough to follow jobs.
        var status = await CliRun.RunAsync("status", jobId, "--api", ApiUrl, "--api-key", stack.ReadKey);

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"job:         {jobId}", status.Output);
        Assert.Contains("state:       completed", status.Output);
        Assert.Contains("source type: document", status.Output);
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
        Assert.Empty(Queued(result.Output));
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
        var jobId = Assert.Single(Queued(ingest.Output)).Value.JobId;

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
        Assert.Contains("Uploading 2 files", result.Output);
        Assert.Contains("1 of 2 files did not complete:", result.Error);
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

    /// <summary>The <c>path: queued doc-…, job … (n chunks)</c> lines <c>shield ingest</c> prints, keyed by the path as shown.</summary>
    private static Dictionary<string, (string DocumentId, string JobId)> Queued(string output) =>
        QueuedLine().Matches(output).ToDictionary(m => m.Groups["file"].Value, m => (m.Groups["doc"].Value, m.Groups["id"].Value));

    private static (string DocumentId, string JobId) Of(Dictionary<string, (string DocumentId, string JobId)> queued, string file) =>
        queued.Single(j => j.Key.EndsWith(Path.DirectorySeparatorChar + file.Replace('/', Path.DirectorySeparatorChar), StringComparison.Ordinal)).Value;

    [GeneratedRegex(@"^(?<file>.+): queued (?<doc>doc-[0-9a-f]{32}), job (?<id>[0-9a-f-]{36}) \(\d+ chunks?\)$", RegexOptions.Multiline)]
    private static partial Regex QueuedLine();

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
