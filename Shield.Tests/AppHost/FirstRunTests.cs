using System.Diagnostics;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.AppHost;

/// <summary>
/// A first run on a machine without redis-server or PostgreSQL: README's <c>dotnet run --project Shield.AppHost</c>,
/// with the PATH and settings such a machine would have, ends with one message that names what is missing and how to
/// install it or point Shield at it, exits non-zero, and shows no stack trace.
/// </summary>
public sealed class FirstRunTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("shield-firstrun-");

    [Fact]
    public async Task Without_redis_server_on_PATH_the_AppHost_says_so_and_how_to_install_it()
    {
        var (exitCode, output) = await RunAppHostAsync(PathWithout("redis-server"));

        Assert.True(exitCode != 0, output);
        Assert.Contains("redis-server: not found on PATH", output);
        Assert.DoesNotContain("PostgreSQL server binaries", output); // they are on this machine
        AssertExplainsHowToFix(output);
    }

    [Fact]
    public async Task Without_PostgreSQL_binaries_the_AppHost_says_so_and_how_to_install_it()
    {
        var emptyBin = _scratch.CreateSubdirectory("empty-bin").FullName;

        var (exitCode, output) = await RunAppHostAsync(Environment.GetEnvironmentVariable("PATH")!, $"--Shield:Local:PostgresBin={emptyBin}");

        Assert.True(exitCode != 0, output);
        Assert.Contains($"PostgreSQL server binaries: no postgres and initdb in '{emptyBin}' (from Shield:Local:PostgresBin)", output);
        Assert.DoesNotContain("redis-server:", output);
        AssertExplainsHowToFix(output);
    }

    [Fact]
    public async Task Both_missing_are_reported_in_one_run_before_anything_starts()
    {
        var emptyBin = _scratch.CreateSubdirectory("empty-bin").FullName;
        var dataDirectory = Path.Combine(_scratch.FullName, "data");

        var (exitCode, output) = await RunAppHostAsync(PathWithout("redis-server"), $"--Shield:Local:PostgresBin={emptyBin}", dataDirectory);

        Assert.True(exitCode != 0, output);
        Assert.Contains("redis-server: not found on PATH", output);
        Assert.Contains("PostgreSQL server binaries: no postgres and initdb", output);
        AssertExplainsHowToFix(output);
        // Nothing was started or created: not even the data folder.
        Assert.False(Directory.Exists(dataDirectory));
        Assert.DoesNotContain("Distributed application starting", output);
    }

    private static void AssertExplainsHowToFix(string output)
    {
        Assert.Contains("sudo apt-get install redis-server postgresql", output);
        Assert.Contains("brew install redis postgresql@15", output);
        Assert.Contains("--Shield:Local:RedisServer=", output);
        Assert.Contains("--Shield:Local:PostgresBin=", output);
        Assert.Contains("--ConnectionStrings:redis=", output);
        Assert.Contains("--ConnectionStrings:shield=", output);
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("Exception", output);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", output);
    }

    /// <summary>
    /// A folder standing in for PATH that offers every program on this machine's PATH except <paramref name="program"/>
    /// (links, so the AppHost still finds bash, pg_config and the rest as it would on such a machine).
    /// </summary>
    private string PathWithout(string program)
    {
        var bin = _scratch.CreateSubdirectory("bin");
        foreach (var directory in Environment.GetEnvironmentVariable("PATH")!.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(directory))
            {
                var link = Path.Combine(bin.FullName, Path.GetFileName(file));
                if (Path.GetFileName(file) != program && !File.Exists(link))
                {
                    File.CreateSymbolicLink(link, file);
                }
            }
        }

        return bin.FullName;
    }

    private async Task<(int ExitCode, string Output)> RunAppHostAsync(string path, string extraArgument = "", string? dataDirectory = null)
    {
        // README's command, local mode as on a machine without a container runtime.
        var start = new ProcessStartInfo(DotnetHost(), "run --no-build --project Shield.AppHost -- --Shield:Infrastructure=local "
            + $"--Shield:DataDirectory={dataDirectory ?? Path.Combine(_scratch.FullName, "data")} {extraArgument}")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = path;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // It started instead of stopping: stop it, and fail with what it printed.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail("The AppHost kept running:\n" + await stdout + await stderr);
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The dotnet host running these tests, so the stripped PATH need not contain it.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet"
                ? self
                : "dotnet";

    public void Dispose() => _scratch.Delete(recursive: true);
}
