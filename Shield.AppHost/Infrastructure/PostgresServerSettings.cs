using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Shield.AppHost.Infrastructure;

/// <summary>
/// The PostgreSQL server settings Shield starts its servers with: local mode's, the container's (and so the deployment
/// manifest's), the tests' and the benchmarks' own. Ingestion writes rows with random keys (chunk ids and description
/// hashes are hashes), so a chunk's rows land on pages all over its tables' indexes, and a finalisation rewrites the
/// rows of every node and edge its job touched. With PostgreSQL's defaults (128 MB of shared buffers, a checkpoint
/// at every 1 GB of WAL) a knowledge base of a few thousand chunks (about 1 GB) no longer fits the buffers, so pages go
/// out to the operating system and come back, and each checkpoint (about eight while 4,000 chunks are ingested) is
/// followed by a whole-page image in the WAL for every page changed again. With these settings: one checkpoint, a
/// fifth of the page images, and 10-25 % more chunks a second at 4,000 chunks (<c>bench/PERFORMANCE.md</c>,
/// PostgreSQL settings); either change alone measured no faster. Their price: up to 2 GB of memory as the knowledge
/// base grows, up to 4 GB of disk for the WAL, and a longer crash recovery (at most one checkpoint cycle replayed). A
/// PostgreSQL you run yourself keeps its own settings; <see cref="ShieldConfigKeys.PostgresSettings"/> changes or adds
/// to these.
/// </summary>
public static partial class PostgresServerSettings
{
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>
    {
        ["shared_buffers"] = "2GB",
        ["max_wal_size"] = "4GB",
        ["checkpoint_timeout"] = "15min",
        // pglz, which every build has (lz4 needs a server built with it).
        ["wal_compression"] = "on",
    };

    /// <summary>The defaults as <c>postgres</c> command-line options (<c>-c name=value</c>).</summary>
    public static IEnumerable<string> CommandLine => Options(Defaults);

    /// <summary>The defaults with <paramref name="configuration"/>'s <see cref="ShieldConfigKeys.PostgresSettings"/> over them, as options.</summary>
    public static IReadOnlyList<string> CommandLineFrom(IConfiguration configuration)
    {
        var settings = new Dictionary<string, string>(Defaults, StringComparer.OrdinalIgnoreCase);
        foreach (var setting in configuration.GetSection(ShieldConfigKeys.PostgresSettings).GetChildren())
        {
            if (!SettingName().IsMatch(setting.Key) || string.IsNullOrWhiteSpace(setting.Value) || setting.Value.Any(char.IsWhiteSpace))
            {
                // A setup problem: printed alone, before anything starts, and the AppHost exits with code 1.
                throw new SetupProblemException(
                    $"{ShieldConfigKeys.PostgresSettings}:{setting.Key} = '{setting.Value}' is not a PostgreSQL setting (a name such as max_wal_size and a value without spaces)");
            }
            settings[setting.Key] = setting.Value;
        }
        return [.. Options(settings)];
    }

    private static IEnumerable<string> Options(IReadOnlyDictionary<string, string> settings) =>
        settings.SelectMany(s => new[] { "-c", $"{s.Key}={s.Value}" });

    [GeneratedRegex("^[a-z_][a-z0-9_.]*$")]
    private static partial Regex SettingName();
}
