using System.Diagnostics;
using System.Text;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using StackExchange.Redis;

namespace Shield.Drills.Resilience;

/// <summary>The stack's live Workers processes, as their heartbeats and the consumer group describe them, and the operating system's view of them.</summary>
public static class WorkerProcesses
{
    /// <summary>The live Workers process holding the most unacknowledged entries right now (at least two must be alive).</summary>
    public static async Task<WorkerHeartbeat> BusiestAsync(IConnectionMultiplexer redis)
    {
        var heartbeats = await LiveHeartbeatsAsync(redis);
        if (heartbeats.Count < 2)
        {
            throw new InvalidOperationException($"need two live workers, found {heartbeats.Count}");
        }
        var consumers = await ConsumersAsync(redis);
        return heartbeats.OrderByDescending(h => consumers
            .Where(c => c.Name.ToString().StartsWith(h.ProcessId, StringComparison.Ordinal)).Sum(c => c.PendingMessageCount)).First();
    }

    /// <summary>The heartbeats of Workers processes that are running.</summary>
    public static async Task<List<WorkerHeartbeat>> LiveHeartbeatsAsync(IConnectionMultiplexer redis)
    {
        var db = redis.GetDatabase();
        var heartbeats = new List<WorkerHeartbeat>();
        await foreach (var key in redis.GetServers()[0].KeysAsync(pattern: WorkerHeartbeat.KeyPrefix + "*"))
        {
            if (WorkerHeartbeat.FromJson((await db.StringGetAsync(key))!) is { } beat && IsAlive(beat.Pid))
            {
                heartbeats.Add(beat);
            }
        }
        return heartbeats;
    }

    public static async Task<StreamConsumerInfo[]> ConsumersAsync(IConnectionMultiplexer redis) =>
        await redis.GetDatabase().StreamConsumerInfoAsync(IngestionStream.Key, IngestionStream.ConsumerGroup);

    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The parent of a process, from <c>/proc/&lt;pid&gt;/stat</c> (its fourth field, after the name in parentheses).</summary>
    public static int ParentPid(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    /// <summary>
    /// The built Shield.Workers, started as its own process (not by a stack's AppHost) with the given environment;
    /// <paramref name="output"/> collects its standard output and error.
    /// </summary>
    public static Process StartWorkersProcess(IReadOnlyDictionary<string, string> environment, out StringBuilder output)
    {
        // Built beside the running tests or bench, in the same configuration: .../bin/<configuration>/<framework>/.
        var programOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = programOutput.Parent!.Name;
        var dll = Path.Combine(Repository.Root, "Shield.Workers", "bin", configuration, programOutput.Name, "Shield.Workers.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Shield.Workers is not built in {configuration} ({dll} is missing)", dll);
        }
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var lines = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (lines) lines.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (lines) lines.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = lines;
        return process;
    }

    /// <summary>Sends a signal (<c>TERM</c>, <c>INT</c>, …) with <c>kill</c>; throws when kill fails (no such process, say).</summary>
    internal static async Task SignalAsync(int pid, string signal, CancellationToken cancellationToken)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString()])!;
        await kill.WaitForExitAsync(cancellationToken);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited with {kill.ExitCode}");
        }
    }

    /// <summary>Whether <paramref name="process"/> exits within <paramref name="timeout"/> (it need not be a child of this one).</summary>
    internal static Task<bool> WaitForExitAsync(Process process, TimeSpan timeout) => Task.Run(() => process.WaitForExit(timeout));
}
