using Shield.Drills;
using Shield.Drills.Resilience;

namespace Shield.FaultBench;

/// <summary>The bench's fault, injected with Shield.Drills' <see cref="Faults"/>: the same operations as the fault drills.</summary>
public static class FaultInjector
{
    /// <summary>How long a stopped or orphaned worker may take to exit; Redis and PostgreSQL to go down or come back (each wait).</summary>
    private static readonly TimeSpan TermExitTimeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan OrphanExitTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan DependencyTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Injects the fault and returns when it has been undone (or, for a worker, when it has gone).</summary>
    public static async Task InjectAsync(ShieldStack stack, BenchOptions options, CancellationToken cancellationToken)
    {
        switch (options.Fault)
        {
            case Fault.None:
                break;

            case Fault.KillWorker:
            {
                var victim = await Faults.KillWorkerAsync(stack);
                BenchLog.Write($"SIGKILL sent to workers process {victim.ProcessId} (pid {victim.Pid})");
                break;
            }

            case Fault.TermWorker:
            {
                var (victim, exited) = await Faults.TermWorkerAsync(stack, TermExitTimeout, cancellationToken);
                BenchLog.Write(exited
                    ? $"workers process {victim.ProcessId} (pid {victim.Pid}) exited after SIGTERM"
                    : $"workers process {victim.ProcessId} (pid {victim.Pid}) did not exit within {TermExitTimeout.TotalSeconds:0} s of SIGTERM");
                break;
            }

            case Fault.KillLauncher:
            {
                var (victim, exited) = await Faults.KillLauncherAsync(stack, OrphanExitTimeout);
                BenchLog.Write(exited
                    ? $"workers process {victim.ProcessId} (pid {victim.Pid}) exited after its launcher was killed"
                    : $"workers process {victim.ProcessId} (pid {victim.Pid}) outlived its launcher by {OrphanExitTimeout.TotalSeconds:0} s");
                break;
            }

            case Fault.RestartRedis:
                BenchLog.Write("stopping redis; starting it again once the Api reports it down");
                await Faults.RestartRedisAsync(stack, DependencyTimeout, cancellationToken);
                BenchLog.Write("redis is back");
                break;

            case Fault.StopPostgres:
            {
                // SIGINT is PostgreSQL's fast shutdown: connections are cut at once, as in a crash of the database host.
                var outage = await Faults.StopPostgresAsync(stack, options.Outage, DependencyTimeout, cancellationToken);
                BenchLog.Write($"SIGINT sent to the postmaster (pid {outage.Postmaster}); the Api reports postgres down; down for {options.Outage.TotalSeconds:0.#} s");
                await outage.EndAsync(cancellationToken);
                BenchLog.Write("postgres started again");
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Fault, null);
        }
    }
}
