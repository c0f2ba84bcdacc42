using System.Globalization;

namespace Shield.Bench;

/// <summary>Command line of the harness; see bench/PERFORMANCE.md.</summary>
public sealed record BenchOptions(
    string Workload, int Chunks, int PoolSize, int DelayMs, string? Redis, string? Postgres,
    int IdleChunks, int IdleSpacingMs, int IdleCpuSeconds, int JobSize, bool MemoryCheck, int BatchSize, string DelayTimer, int IdleSettleSeconds,
    string Model, int KbDocuments)
{
    public const string Usage = """
        usage: Shield.Bench --workload noop|delay|embedded|document --chunks N --pool-size P [--delay-ms D]
                            [--delay-timer precise|task-delay]
                            [--redis host:port] [--postgres <connection string>]
                            [--idle-chunks 200] [--idle-spacing-ms 20] [--idle-settle-seconds 10] [--idle-cpu-seconds 10]
                            [--job-size 1000] [--batch-size B] [--memory-check]
               document:    [--model embedded|scripted] [--kb-documents K]   (--chunks: the document's 1,200-token chunks, default 40)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{name}'");
            if (name is "--memory-check") { flags.Add(name); continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
            values[name] = args[++i];
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v)
            ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;

        var workload = values.GetValueOrDefault("--workload", "noop");
        if (workload is not ("noop" or "delay" or "embedded" or "document")) throw new ArgumentException($"unknown workload '{workload}'");
        var options = new BenchOptions(
            workload,
            Int("--chunks", workload == "document" ? 40 : 20_000),
            Int("--pool-size", 4),
            Int("--delay-ms", workload == "delay" ? 5 : 0),
            values.GetValueOrDefault("--redis"),
            values.GetValueOrDefault("--postgres"),
            Int("--idle-chunks", 200),
            Int("--idle-spacing-ms", 20),
            Int("--idle-cpu-seconds", 10),
            Int("--job-size", 1000),
            flags.Contains("--memory-check"),
            Int("--batch-size", 0),
            values.GetValueOrDefault("--delay-timer", "precise"),
            Int("--idle-settle-seconds", 10),
            values.GetValueOrDefault("--model", "embedded"),
            Int("--kb-documents", 0));
        if (options.Model is not ("embedded" or "scripted")) throw new ArgumentException($"unknown --model '{options.Model}'");
        if (options.KbDocuments < 0) throw new ArgumentException("--kb-documents must not be negative");
        if (options.DelayTimer is not ("precise" or "task-delay")) throw new ArgumentException($"unknown --delay-timer '{options.DelayTimer}'");
        if (options.Chunks < 1 || options.PoolSize < 1 || options.JobSize < 1) throw new ArgumentException("--chunks, --pool-size and --job-size must be positive");
        return options;
    }
}
