namespace Shield.Tests.Cli;

/// <summary>What <c>shield</c> does before it talks to any API: usage errors and files it will not send.</summary>
public sealed class CliCommandLineTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("shield-cli-").FullName;

    [Fact]
    public async Task Folder_of_only_empty_and_binary_files_is_refused_with_a_message_per_file()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "empty.md"), "");
        await File.WriteAllBytesAsync(Path.Combine(_folder, "logo.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00]);

        // Nothing listens on port 9: had the CLI tried to submit, it would have said so.
        var result = await CliRun.RunAsync("ingest", _folder, "--api", "http://127.0.0.1:9");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("empty.md: empty", result.Error);
        Assert.Contains("logo.png: binary file", result.Error);
        Assert.Contains("Nothing to ingest", result.Error);
        Assert.DoesNotContain("Cannot reach", result.Error);
    }

    [Fact]
    public async Task Unreachable_API_is_reported_plainly()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "note.txt"), "A short note.");

        var result = await CliRun.RunAsync("ingest", _folder, "--api", "http://127.0.0.1:9");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Cannot reach the Shield API at http://127.0.0.1:9/", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData(new string[0], "error: Required command was not provided.", "shield")]
    [InlineData(new[] { "frobnicate" }, "error: Unrecognized command or argument 'frobnicate'.", "shield")]
    [InlineData(new[] { "ingest" }, "error: Required argument 'paths' missing for command: 'ingest'.", "shield ingest")]
    [InlineData(new[] { "ingest", "no-such-folder-here" }, "error: No such file or folder: no-such-folder-here", "shield ingest")]
    [InlineData(new[] { "ingest", "--reprocesss", "." }, "error: Unrecognized option '--reprocesss'.", "shield ingest")]
    [InlineData(new[] { "ingest", ".", "--split-by-character", "" }, "error: --split-by-character must not be empty.", "shield ingest")]
    [InlineData(new[] { "ingest", ".", "--split-by-character-only" }, "error: --split-by-character-only needs --split-by-character.", "shield ingest")]
    [InlineData(new[] { "ingest", ".", "--source-type", "file" }, "error: Unrecognized option '--source-type'.", "shield ingest")]
    [InlineData(new[] { "documents" }, "error: Required command was not provided.", "shield documents")]
    [InlineData(new[] { "documents", "show" }, "error: Required argument 'document_id' missing for command: 'show'.", "shield documents show")]
    [InlineData(new[] { "documents", "show", "notes.md" }, "error: 'notes.md' is not a document id: document ids are doc- and 32 lower-case hexadecimal digits.", "shield documents show")]
    [InlineData(new[] { "documents", "delete", "doc-0123" }, "error: 'doc-0123' is not a document id", "shield documents delete")]
    [InlineData(new[] { "documents", "list", "--limit", "0" }, "error: --limit must be a whole number from 1 to 100, not '0'.", "shield documents list")]
    [InlineData(new[] { "documents", "list", "--limit", "many" }, "error: --limit must be a whole number from 1 to 100, not 'many'.", "shield documents list")]
    [InlineData(new[] { "status", "x", "--colour", "red" }, "error: Unrecognized command or argument '--colour'.", "shield status")]
    [InlineData(new[] { "status", "a", "b" }, "error: Unrecognized command or argument 'b'.", "shield status")]
    [InlineData(new[] { "watch", "--job" }, "error: Required argument missing for option: '--job'.", "shield watch")]
    [InlineData(new[] { "status", "--api", "ftp://example.org", "x" }, "error: 'ftp://example.org' (--api) is not an http(s) URL for the Shield API.", "shield status")]
    public async Task Usage_errors_exit_2_and_say_on_stderr_what_is_wrong_and_where_help_is(string[] args, string message, string command)
    {
        var result = await CliRun.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.EndsWith($"Run '{command} --help' for usage.{Environment.NewLine}", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_the_options_every_command_takes()
    {
        var result = await CliRun.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:\n  shield [command] [options]", result.Output.ReplaceLineEndings("\n"));
        Assert.Matches(@"(?m)^  ingest <paths>\s+Upload files to the Api, which cuts them as LightRAG does", result.Output);
        Assert.Matches(@"(?m)^  documents\s+List, show and delete the documents Shield holds", result.Output);
        Assert.Matches(@"(?m)^  status <job_id>\s+Print a job's state", result.Output);
        Assert.Matches(@"(?m)^  watch\s+Print Shield's events", result.Output);
        Assert.Matches(@"(?m)^  --api <URL>\s+The Shield API's base URL \(\$SHIELD_API when not given\)", result.Output);
        Assert.Matches(@"(?m)^  --api-key <KEY>\s+The API key, sent as X-Api-Key \(\$SHIELD_API_KEY when not given\)$", result.Output);
        Assert.Contains("--version", result.Output);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Help_of_a_command_shows_its_usage_its_own_options_and_the_inherited_ones()
    {
        var result = await CliRun.RunAsync("ingest", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("shield ingest <paths>... [options]", result.Output);
        Assert.Matches(@"(?m)^  --split-by-character <TEXT>\s+Cut the text at this string first", result.Output);
        Assert.Matches(@"(?m)^  --split-by-character-only\s+Cut only at --split-by-character", result.Output);
        Assert.Matches(@"(?m)^  --reprocess\s+Ingest documents the Api already has again$", result.Output);
        Assert.DoesNotContain("--source-type", result.Output);
        Assert.Matches(@"(?m)^  --api <URL>\s+", result.Output);
        Assert.Matches(@"(?m)^  --api-key <KEY>\s+", result.Output);
    }

    [Fact]
    public async Task Help_of_documents_lists_its_three_commands()
    {
        var result = await CliRun.RunAsync("documents", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"(?m)^  list\s+List documents, newest first", result.Output);
        Assert.Matches(@"(?m)^  show <document_id>\s+Print a document's state", result.Output);
        Assert.Matches(@"(?m)^  delete <document_id>\s+Delete a document", result.Output);
    }

    [Fact]
    public async Task The_suggest_directive_completes_commands_and_options_for_the_shell()
    {
        var commands = await CliRun.RunAsync("[suggest:9]", "shield in");
        var options = await CliRun.RunAsync("[suggest:17]", "shield ingest --s");
        var documents = await CliRun.RunAsync("[suggest:18]", "shield documents d");

        Assert.Equal(["ingest"], commands.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(["--split-by-character", "--split-by-character-only"],
            options.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(["delete"], documents.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
