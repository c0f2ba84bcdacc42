using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using StackExchange.Redis;

namespace Shield.FaultBench;

/// <summary>The faults of Shield.Tests' <c>Resilience/FaultDrillTests</c>, injected into a running stack.</summary>
public static class Faults
{
    /// <summary>Injects the fault and returns when it has been undone (or, for a worker, when it has gone).</summary>
    public static async Task InjectAsync(BenchStack stack, BenchOptions options, CancellationToken cancellationToken)
    {
        switch (options.Fault)
        {
            case Fault.None:
                break;

            case Fault.KillWorker:
            {
                var victim = await BusiestWorkerAsync(stack);
                Log($"SIGKILL to workers process {victim.ProcessId} (pid {victim.Pid})");
                using var process = Process.GetProcessById(victim.Pid);
                process.Kill();
                break;
            }

            case Fault.TermWorker:
            {
                var victim = await BusiestWorkerAsync(stack);
                Log($"SIGTERM to workers process {victim.ProcessId} (pid {victim.Pid})");
                using var process = Process.GetProcessById(victim.Pid);
                Signal("TERM", victim.Pid);
                if (!process.WaitForExit(TimeSpan.FromSeconds(40)))
                {
                    Log($"pid {victim.Pid} did not exit within 40 s of SIGTERM");
                }
                break;
            }

            case Fault.RestartRedis:
                Log($"stopping redis for {options.Outage.TotalSeconds:0.#} s");
                await stack.App.ResourceCommands.ExecuteCommandAsync("redis", KnownResourceCommands.StopCommand, cancellationToken);
                await Task.Delay(options.Outage, cancellationToken);
                await stack.App.ResourceCommands.ExecuteCommandAsync("redis", KnownResourceCommands.StartCommand, cancellationToken);
                await stack.App.ResourceNotifications.WaitForResourceHealthyAsync("redis", cancellationToken).WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);
                Log("redis is back");
                break;

            case Fault.StopPostgres:
            {
                var postmaster = int.Parse((await File.ReadAllLinesAsync(
                    Path.Combine(stack.DataDirectory, "postgres", "postmaster.pid"), cancellationToken))[0]);
                // SIGINT is PostgreSQL's fast shutdown: connections are cut at once, as in a crash of the database host.
                Log($"SIGINT to the postmaster (pid {postmaster}) for {options.Outage.TotalSeconds:0.#} s");
                Signal("INT", postmaster);
                await Task.Delay(options.Outage, cancellationToken);
                await stack.App.ResourceCommands.ExecuteCommandAsync("postgres", KnownResourceCommands.StartCommand, cancellationToken);
                Log("postgres started again");
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Fault, null);
        }
    }

    /// <summary>The live Workers process holding the most unacknowledged entries right now.</summary>
    private static async Task<WorkerHeartbeat> BusiestWorkerAsync(BenchStack stack)
    {
        var db = stack.Redis.GetDatabase();
        var heartbeats = new List<WorkerHeartbeat>();
        await foreach (var key in stack.Redis.GetServers()[0].KeysAsync(pattern: WorkerHeartbeat.KeyPrefix + "*"))
        {
            if (WorkerHeartbeat.FromJson((await db.StringGetAsync(key))!) is { } beat && IsAlive(beat.Pid))
            {
                heartbeats.Add(beat);
            }
        }
        if (heartbeats.Count < 2)
        {
            throw new InvalidOperationException($"need two live workers for the fault, found {heartbeats.Count}");
        }
        var consumers = await db.StreamConsumerInfoAsync(IngestionStream.Key, IngestionStream.ConsumerGroup);
        return heartbeats.OrderByDescending(h => consumers
            .Where(c => c.Name.ToString().StartsWith(h.ProcessId, StringComparison.Ordinal)).Sum(c => c.PendingMessageCount)).First();
    }

    private static bool IsAlive(int pid)
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

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString()])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited with {kill.ExitCode}");
        }
    }

    public static void Log(string message) => Console.Error.WriteLine($"[faultbench {DateTime.Now:HH:mm:ss}] {message}");
}
