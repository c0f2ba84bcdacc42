using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Shield.Ingestion.Workers;

namespace Shield.Drills.Resilience;

/// <summary>A Workers process a fault was aimed at, and whether it had exited when the fault returned.</summary>
public sealed record WorkerExit(WorkerHeartbeat Worker, bool Exited);

/// <summary>
/// The faults of the resilience drills, injected into a running stack: a Workers process killed (SIGKILL), stopped
/// (SIGTERM) or orphaned (its <c>dotnet run</c> launcher killed), Redis restarted, PostgreSQL gone for a while. Each
/// aims at the live Workers process holding the most entries, and waits on what the stack reports, not on guessed delays.
/// </summary>
public static class Faults
{
    /// <summary>SIGKILL to the busiest live Workers process; returns it (without waiting: the kernel ends it).</summary>
    public static async Task<WorkerHeartbeat> KillWorkerAsync(ShieldStack stack)
    {
        var victim = await WorkerProcesses.BusiestAsync(stack.Redis);
        using var process = Process.GetProcessById(victim.Pid);
        process.Kill();
        return victim;
    }

    /// <summary>SIGTERM to the busiest live Workers process; returns it once it has exited or <paramref name="exitTimeout"/> has passed.</summary>
    public static async Task<WorkerExit> TermWorkerAsync(ShieldStack stack, TimeSpan exitTimeout, CancellationToken cancellationToken = default)
    {
        var victim = await WorkerProcesses.BusiestAsync(stack.Redis);
        using var process = Process.GetProcessById(victim.Pid);
        await WorkerProcesses.SignalAsync(victim.Pid, "TERM", cancellationToken);
        return new WorkerExit(victim, await WorkerProcesses.WaitForExitAsync(process, exitTimeout));
    }

    /// <summary>
    /// Kills the <c>dotnet run</c> launcher of the busiest live Workers process (the process DCP tracks: a kill aimed at
    /// it orphans the worker); returns the worker once it has exited or <paramref name="exitTimeout"/> has passed.
    /// </summary>
    public static async Task<WorkerExit> KillLauncherAsync(ShieldStack stack, TimeSpan exitTimeout)
    {
        var victim = await WorkerProcesses.BusiestAsync(stack.Redis);
        using var worker = Process.GetProcessById(victim.Pid);
        var launcher = WorkerProcesses.ParentPid(victim.Pid);
        if (launcher <= 1)
        {
            throw new InvalidOperationException($"the worker {victim.Pid} has no launcher (parent {launcher})");
        }
        using (var process = Process.GetProcessById(launcher))
        {
            process.Kill();
        }
        return new WorkerExit(victim, await WorkerProcesses.WaitForExitAsync(worker, exitTimeout));
    }

    /// <summary>
    /// Stops Redis with the AppHost's Stop command, waits until the Api reports it down, starts it again at once (the
    /// old redis-server may still be writing its append-only file; the restart waits for it) and waits for it to be
    /// healthy. <paramref name="timeout"/> applies to each wait.
    /// </summary>
    public static async Task RestartRedisAsync(ShieldStack stack, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await ExecuteAsync(stack, "redis", KnownResourceCommands.StopCommand, cancellationToken);
        // Down is when the Api says so, not after a guessed number of seconds.
        await Poll.UntilAsync(async () => await stack.DependencyStatusAsync("redis", cancellationToken) == "down", timeout,
            "the Api never saw Redis go down", cancellationToken);
        await ExecuteAsync(stack, "redis", KnownResourceCommands.StartCommand, cancellationToken);
        await stack.WaitForHealthyAsync("redis", timeout, cancellationToken);
    }

    /// <summary>
    /// SIGINT to the postmaster (PostgreSQL's fast shutdown: connections are cut at once, as in a crash of the database
    /// host); returns once the Api reports PostgreSQL down, within <paramref name="timeout"/>. The outage lasts until
    /// <see cref="PostgresOutage.EndAsync"/>, which keeps it down until <paramref name="outage"/> after the signal.
    /// </summary>
    public static async Task<PostgresOutage> StopPostgresAsync(ShieldStack stack, TimeSpan outage, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var pidFile = Path.Combine(stack.DataDirectory, "postgres", "postmaster.pid");
        var postmaster = int.Parse((await File.ReadAllLinesAsync(pidFile, cancellationToken))[0]);
        var endsAt = DateTime.UtcNow + outage;
        await WorkerProcesses.SignalAsync(postmaster, "INT", cancellationToken);
        await Poll.UntilAsync(async () => await stack.DependencyStatusAsync("postgres", cancellationToken) == "down", timeout,
            "the Api never reported PostgreSQL down", cancellationToken);
        return new PostgresOutage(stack, postmaster, endsAt);
    }

    internal static async Task ExecuteAsync(ShieldStack stack, string resource, string command, CancellationToken cancellationToken)
    {
        var result = await stack.App.ResourceCommands.ExecuteCommandAsync(resource, command, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"the AppHost's {command} command on '{resource}' failed: {result.Message}");
        }
    }
}

/// <summary>PostgreSQL stopped by <see cref="Faults.StopPostgresAsync"/>: down until <see cref="EndAsync"/> starts it again.</summary>
public sealed class PostgresOutage
{
    private readonly ShieldStack _stack;

    internal PostgresOutage(ShieldStack stack, int postmaster, DateTime endsAt)
    {
        _stack = stack;
        Postmaster = postmaster;
        EndsAt = endsAt;
    }

    /// <summary>The postmaster's pid, the process that was signalled.</summary>
    public int Postmaster { get; }

    /// <summary>When the outage is over (UTC): its length after the signal, however soon the Api noticed.</summary>
    public DateTime EndsAt { get; }

    /// <summary>Waits until <see cref="EndsAt"/>, then starts PostgreSQL with the AppHost's Start command.</summary>
    public async Task EndAsync(CancellationToken cancellationToken = default)
    {
        var left = EndsAt - DateTime.UtcNow;
        if (left > TimeSpan.Zero) await Task.Delay(left, cancellationToken);
        await Faults.ExecuteAsync(_stack, "postgres", KnownResourceCommands.StartCommand, cancellationToken);
    }
}
