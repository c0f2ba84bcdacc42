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
    [InlineData(new[] { "frobnicate" }, "Unknown command 'frobnicate'")]
    [InlineData(new[] { "ingest" }, "Name at least one file or folder")]
    [InlineData(new[] { "ingest", "no-such-folder-here" }, "No such file or folder: no-such-folder-here")]
    [InlineData(new[] { "status", "x", "--colour", "red" }, "Unknown option '--colour'")]
    [InlineData(new[] { "watch", "--job" }, "Option '--job' needs a value")]
    [InlineData(new[] { "status", "--api", "ftp://example.org", "x" }, "not an http(s) URL")]
    public async Task Usage_errors_exit_2_and_say_what_is_wrong(string[] args, string message)
    {
        var result = await CliRun.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public async Task Help_describes_the_commands()
    {
        var result = await CliRun.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("shield ingest <files or folders>", result.Output);
        Assert.Contains("shield status <job_id>", result.Output);
        Assert.Contains("shield watch [--job JOB_ID]", result.Output);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
