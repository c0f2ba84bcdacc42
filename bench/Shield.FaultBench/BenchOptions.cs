using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Shield.Drills;

namespace Shield.FaultBench;

/// <summary>The faults the bench can inject, named as on the command line.</summary>
public enum Fault
{
    None,
    KillWorker,
    TermWorker,
    KillLauncher,
    RestartRedis,
    StopPostgres,
}

/// <summary>The command line: <c>--fault F [--chunks N] [--outage-seconds S] [--redis-port P] [--timeout-seconds T] [--verbose]</c>.</summary>
public sealed record BenchOptions(Fault Fault, int Chunks, double? OutageSeconds, int RedisPort, int TimeoutSeconds, bool Verbose)
{
    public const string Usage =
        "usage: Shield.FaultBench --fault kill-worker|term-worker|kill-launcher|restart-redis|stop-postgres|none " +
        "[--chunks 400] [--outage-seconds 30 (stop-postgres only)] [--redis-port 6390] [--timeout-seconds 600] [--verbose]";

    /// <summary>Workers processes in the bench's stack: one fault takes one away, and the busiest needs another beside it.</summary>
    public const int WorkerReplicas = 3;

    public static string Name(Fault fault) => fault switch
    {
        Fault.None => "none",
        Fault.KillWorker => "kill-worker",
        Fault.TermWorker => "term-worker",
        Fault.KillLauncher => "kill-launcher",
        Fault.RestartRedis => "restart-redis",
        Fault.StopPostgres => "stop-postgres",
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    /// <summary>How long PostgreSQL stays down after the signal: the drill's 30 s unless given.</summary>
    public TimeSpan Outage => TimeSpan.FromSeconds(OutageSeconds ?? 30);

    /// <summary>
    /// The stack: the real AppHost with <see cref="WorkerReplicas"/> Workers processes and the drills' short timeouts,
    /// Redis on <see cref="RedisPort"/>, one random API key. Standard output carries the one result line; everything
    /// logged goes to standard error. Without --verbose only the host's own warnings show: the services' output and the
    /// health checks failing during a fault (or while the stack stops) are expected and would bury the bench's own lines.
    /// </summary>
    public ShieldStackOptions ToStackOptions() => new()
    {
        DataDirectoryPrefix = "shield-faultbench-",
        // Not 6379: other stacks on this machine (a developer's, the test suite's) own that one.
        RedisPort = RedisPort,
        WriteKeys = ["faultbench-" + Guid.NewGuid().ToString("N")],
        AppHostArguments = ShieldStackOptions.FaultDrillWorkers(WorkerReplicas),
        Logging = logging =>
        {
            logging.ClearProviders()
                .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
                .SetMinimumLevel(Verbose ? LogLevel.Information : LogLevel.Warning);
            if (!Verbose)
            {
                logging.AddFilter(null, LogLevel.Warning)
                    .AddFilter("Shield.AppHost.Resources", LogLevel.None)
                    .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);
            }
        },
    };

    /// <summary>Parses the arguments; returns null with the problem when they are not usable.</summary>
    public static BenchOptions? Parse(string[] args, out string? problem)
    {
        Fault? fault = null;
        int chunks = 400, redisPort = 6390, timeoutSeconds = 600;
        double? outage = null;
        var verbose = false;
        problem = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--verbose")
            {
                verbose = true;
                continue;
            }
            if (i + 1 >= args.Length)
            {
                problem = $"{name} needs a value";
                return null;
            }
            var value = args[++i];
            switch (name)
            {
                case "--fault":
                    fault = Enum.GetValues<Fault>().Cast<Fault?>().FirstOrDefault(f => Name(f!.Value) == value);
                    if (fault is null)
                    {
                        problem = $"unknown fault '{value}'";
                        return null;
                    }
                    break;
                case "--chunks" when int.TryParse(value, out var n) && n > 0:
                    chunks = n;
                    break;
                case "--outage-seconds" when double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var s) && s >= 0:
                    outage = s;
                    break;
                case "--redis-port" when int.TryParse(value, out var p) && p is > 0 and < 65536:
                    redisPort = p;
                    break;
                case "--timeout-seconds" when int.TryParse(value, out var t) && t > 0:
                    timeoutSeconds = t;
                    break;
                default:
                    problem = $"unknown option or bad value: {name} {value}";
                    return null;
            }
        }
        if (fault is null)
        {
            problem = "--fault is required";
            return null;
        }
        if (outage is not null && fault != Fault.StopPostgres)
        {
            // Redis is started again as soon as the Api sees it down; only PostgreSQL's outage has a length to choose.
            problem = "--outage-seconds applies to stop-postgres only";
            return null;
        }
        return new BenchOptions(fault.Value, chunks, outage, redisPort, timeoutSeconds, verbose);
    }
}
