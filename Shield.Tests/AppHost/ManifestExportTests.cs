using System.Diagnostics;
using System.Text.Json;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.AppHost;

/// <summary>
/// The deployment path: the exact command from README writes an Aspire manifest (what azd consumes) with all six
/// resources as containers, projects and parameters, whether or not this machine has a container runtime.
/// </summary>
public sealed class ManifestExportTests
{
    [Theory]
    [InlineData("auto")]
    [InlineData("local")]
    public async Task Manifest_lists_every_resource_as_it_would_be_deployed(string infrastructureMode)
    {
        var output = Path.Combine(Path.GetTempPath(), $"shield-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, log) = await RunAsync("dotnet",
                $"run --no-build --project Shield.AppHost -- --publisher manifest --output-path {output} --Shield:Infrastructure={infrastructureMode}");
            Assert.True(exitCode == 0, log);

            var resources = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("resources");
            string TypeOf(string name) =>
                resources.TryGetProperty(name, out var r) ? r.GetProperty("type").GetString()! : $"(missing {name})";

            Assert.Equal("container.v0", TypeOf("redis"));
            // Deployed Redis keeps an append-only file beside its snapshots, so a restart loses at most a second.
            Assert.Contains(resources.GetProperty("redis").GetProperty("args").EnumerateArray(),
                a => a.GetString()!.StartsWith("redis-server", StringComparison.Ordinal) && a.GetString()!.Contains("--appendonly yes", StringComparison.Ordinal));
            Assert.Equal("container.v0", TypeOf("postgres"));
            // Deployed PostgreSQL checkpoints as rarely as local mode's (a chunk's WAL would otherwise grow with the knowledge base).
            Assert.Equal(["-c", "shared_buffers=2GB", "-c", "max_wal_size=4GB", "-c", "checkpoint_timeout=15min", "-c", "wal_compression=on"],
                resources.GetProperty("postgres").GetProperty("args").EnumerateArray().Select(a => a.GetString()!));
            Assert.Equal("value.v0", TypeOf("shield"));
            Assert.Equal("value.v0", TypeOf("chat"));
            Assert.Equal("value.v0", TypeOf("embeddings"));
            Assert.StartsWith("container.v", TypeOf("qdrant"));
            Assert.StartsWith("container.v", TypeOf("ollama"));
            Assert.Equal("project.v0", TypeOf("api"));
            Assert.Equal("project.v0", TypeOf("workers"));
            Assert.Equal("parameter.v0", TypeOf("api-key"));
            Assert.Equal("{api-key.value}", resources.GetProperty("api").GetProperty("env").GetProperty("Shield__Api__ApiKey").GetString());
            // A deployment is closed: the write key must be given, the read key is generated unless it is.
            Assert.Equal("parameter.v0", TypeOf("api-read-key"));
            Assert.Equal("{api-read-key.value}", resources.GetProperty("api").GetProperty("env").GetProperty("Shield__Api__ReadApiKey").GetString());
            var readKeyInput = resources.GetProperty("api-read-key").GetProperty("inputs").GetProperty("value");
            Assert.True(readKeyInput.GetProperty("secret").GetBoolean());
            Assert.True(readKeyInput.GetProperty("default").GetProperty("generate").GetProperty("minLength").GetInt32() >= 32);
            Assert.True(resources.GetProperty("api-key").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());

            // Services get their dependencies through connection strings, never hard-coded addresses.
            var apiEnv = resources.GetProperty("api").GetProperty("env");
            Assert.Equal("{redis.connectionString}", apiEnv.GetProperty("ConnectionStrings__redis").GetString());
            Assert.Equal("{shield.connectionString}", apiEnv.GetProperty("ConnectionStrings__shield").GetString());
            // Local-mode executables are for development only; a deployment never gets them.
            Assert.DoesNotContain(resources.EnumerateObject(), r => r.Value.GetProperty("type").GetString()!.StartsWith("executable", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static async Task<(int ExitCode, string Log)> RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
