using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Shield.AppHost.Infrastructure;
using StackExchange.Redis;

namespace Shield.Bench;

/// <summary>
/// A throwaway redis-server and PostgreSQL for one run, when the command line names none: free ports (never 6379),
/// no Redis persistence, a fresh data directory under /tmp, all removed at the end. Started the way
/// Shield.AppHost/Infrastructure/local-postgres.sh does it: as the postgres user when running as root.
/// </summary>
public sealed class LocalServers : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private string? _root;

    public string RedisEndpoint { get; private set; } = "";
    public string PostgresConnectionString { get; private set; } = "";

    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (port != 6379) return port;
        }
    }

    public async Task StartRedisAsync()
    {
        var port = FreePort();
        var process = Start("redis-server", ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        _processes.Add(process);
        RedisEndpoint = $"127.0.0.1:{port}";
        for (var i = 0; ; i++)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(RedisEndpoint + ",connectTimeout=500,abortConnect=true");
                await probe.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (i < 50 && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task StartPostgresAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => d, StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "bin")).LastOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("no PostgreSQL server under /usr/lib/postgresql/*/bin");
        _root = Directory.CreateTempSubdirectory("shield-bench-").FullName;
        var data = Path.Combine(_root, "data");
        var socket = Path.Combine(_root, "run");
        Directory.CreateDirectory(data);
        Directory.CreateDirectory(socket);

        string[] runAs = [];
        if (Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || IsRoot())
        {
            // PostgreSQL refuses to run as root: hand the directory to the postgres user and run as it.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            await RunAsync("chown", ["-R", "postgres:postgres", data, socket]);
            // setpriv execs in place, so the process we hold (and signal at the end) is the postmaster itself;
            // runuser forks and is only the fallback.
            runAs = File.Exists("/usr/bin/setpriv")
                ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
                : ["runuser", "-u", "postgres", "--"];
        }

        await RunAsync(runAs.Length > 0 ? runAs[0] : Path.Combine(bin, "initdb"),
            [.. runAs.Skip(1), .. runAs.Length > 0 ? [Path.Combine(bin, "initdb")] : Array.Empty<string>(),
             "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);

        var port = FreePort();
        string[] server = [Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(), "-k", socket,
            "-c", "listen_addresses=127.0.0.1", .. PostgresServerSettings.CommandLine];
        var process = runAs.Length > 0 ? Start(runAs[0], [.. runAs.Skip(1), .. server]) : Start(server[0], server[1..]);
        _processes.Add(process);

        var admin = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
        for (var i = 0; ; i++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand("CREATE DATABASE shield", connection);
                await create.ExecuteNonQueryAsync();
                break;
            }
            catch (NpgsqlException) when (i < 100 && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
        PostgresConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=shield";
    }

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))
                ?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static Process Start(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        // Drain the output so a chatty server never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task RunAsync(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            try
            {
                if (!process.HasExited)
                {
                    // SIGTERM (the postmaster's "smart" shutdown would wait for clients; SIGINT is "fast").
                    _ = Process.Start("kill", ["-INT", process.Id.ToString()]);
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    try { await process.WaitForExitAsync(cts.Token); }
                    catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        if (_root is not null)
        {
            try { Directory.Delete(_root, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
