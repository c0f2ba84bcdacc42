namespace Shield.FaultBench;

/// <summary>The faults the bench can inject, named as on the command line.</summary>
public enum Fault
{
    None,
    KillWorker,
    TermWorker,
    RestartRedis,
    StopPostgres,
}

/// <summary>The command line: <c>--fault F [--chunks N] [--outage-seconds S] [--redis-port P] [--timeout-seconds T] [--verbose]</c>.</summary>
public sealed record BenchOptions(Fault Fault, int Chunks, double? OutageSeconds, int RedisPort, int TimeoutSeconds, bool Verbose)
{
    public const string Usage =
        "usage: Shield.FaultBench --fault kill-worker|term-worker|restart-redis|stop-postgres|none " +
        "[--chunks 400] [--outage-seconds S (stop-postgres: 30, restart-redis: 3)] [--redis-port 6390] [--timeout-seconds 600] [--verbose]";

    public static string Name(Fault fault) => fault switch
    {
        Fault.None => "none",
        Fault.KillWorker => "kill-worker",
        Fault.TermWorker => "term-worker",
        Fault.RestartRedis => "restart-redis",
        Fault.StopPostgres => "stop-postgres",
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    /// <summary>How long Redis or PostgreSQL stays down: the drills' 3 s and 30 s unless given.</summary>
    public TimeSpan Outage => TimeSpan.FromSeconds(OutageSeconds ?? (Fault == Fault.StopPostgres ? 30 : 3));

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
        return new BenchOptions(fault.Value, chunks, outage, redisPort, timeoutSeconds, verbose);
    }
}
