using System.Globalization;

namespace Shield.Bench;

/// <summary>Command line of the harness; see bench/PERFORMANCE.md.</summary>
public sealed record BenchOptions(
    string Workload, int Chunks, int PoolSize, int DelayMs, string? Redis, string? Postgres,
    int IdleChunks, int IdleSpacingMs, int IdleCpuSeconds, int JobSize, bool MemoryCheck, int BatchSize, string DelayTimer, int IdleSettleSeconds,
    string Model, int KbDocuments, IReadOnlyList<int>? KbSizes, string Corpus, int Queries, int Probes, int Document,
    bool CompareProcesses, int BurstLatencyMs)
{
    public const string Usage = """
        usage: Shield.Bench --workload noop|delay|embedded|document --chunks N --pool-size P [--delay-ms D]
                            [--delay-timer precise|task-delay]
                            [--redis host:port] [--postgres <connection string>]
                            [--idle-chunks 200] [--idle-spacing-ms 20] [--idle-settle-seconds 10] [--idle-cpu-seconds 10]
                            [--job-size 1000] [--batch-size B] [--memory-check]
               document:    [--model embedded|scripted] [--kb-documents K] [--document N]   (--chunks: the document's 1,200-token chunks, default 40;
                            --document: which generated document is measured, default 0)
                            [--kb-sizes 0,12,50,250 [--corpus world|frequent] [--queries 50] [--probes 3]
                             [--compare-processes true|false] [--burst-latency-ms 0]]   (growth: probe documents at each size)
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
            Int("--kb-documents", 0),
            values.TryGetValue("--kb-sizes", out var sizes)
                ? [.. sizes.Split(',').Select(v => int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture))]
                : null,
            values.GetValueOrDefault("--corpus", "world"),
            Int("--queries", 50),
            Int("--probes", 3),
            Int("--document", 0),
            values.GetValueOrDefault("--compare-processes", "true") == "true",
            Int("--burst-latency-ms", 0));
        if (options.Model is not ("embedded" or "scripted")) throw new ArgumentException($"unknown --model '{options.Model}'");
        if (options.KbDocuments < 0) throw new ArgumentException("--kb-documents must not be negative");
        if (options.KbSizes is { } kb && (kb.Count == 0 || kb.Any(k => k < 0) || !kb.SequenceEqual(kb.Order()) || kb.Distinct().Count() != kb.Count))
        {
            throw new ArgumentException("--kb-sizes must be distinct knowledge-base sizes in documents, ascending");
        }
        if (options.Corpus is not ("world" or "frequent")) throw new ArgumentException($"unknown --corpus '{options.Corpus}'");
        if (options.Queries < 0) throw new ArgumentException("--queries must not be negative");
        if (options.Probes < 1) throw new ArgumentException("--probes must be positive");
        if (options.BurstLatencyMs < 0) throw new ArgumentException("--burst-latency-ms must not be negative");
        if (options.DelayTimer is not ("precise" or "task-delay")) throw new ArgumentException($"unknown --delay-timer '{options.DelayTimer}'");
        if (options.Chunks < 1 || options.PoolSize < 1 || options.JobSize < 1) throw new ArgumentException("--chunks, --pool-size and --job-size must be positive");
        return options;
    }
}
