using System.Text;
using Microsoft.Extensions.Configuration;

namespace Shield.AppHost.Infrastructure;

/// <summary>The host programs local mode runs, found before anything starts.</summary>
/// <param name="RedisServer">The redis-server executable; null when an existing Redis is used.</param>
/// <param name="PostgresBin">The folder holding PostgreSQL's <c>postgres</c> and <c>initdb</c>; null when an existing PostgreSQL is used.</param>
/// <param name="Bash">The shell that runs <c>local-postgres.sh</c>.</param>
internal sealed record LocalPrograms(string? RedisServer, string? PostgresBin, string? Bash);

/// <summary>
/// Finds redis-server and PostgreSQL's server binaries up front and reports every missing one in one message, so a
/// first run on a bare machine says what to install instead of failing in DCP (or half-way, in the launcher).
/// </summary>
internal static class LocalPrerequisites
{
    public const string DebianInstall = "sudo apt-get install redis-server postgresql";
    public const string MacInstall = "brew install redis postgresql@15";

    public static LocalPrograms Find(IConfiguration configuration, bool needRedis, bool needPostgres)
    {
        var missing = new List<string>();
        var redisServer = needRedis ? FindRedisServer(configuration[ShieldConfigKeys.RedisServer], missing) : null;
        var postgresBin = needPostgres ? FindPostgresBin(configuration[ShieldConfigKeys.PostgresBin], missing) : null;
        var bash = needPostgres ? ExecutableLocator.FindOnPath("bash") : null;
        if (needPostgres && bash is null)
        {
            missing.Add("bash: not found on PATH (it runs the PostgreSQL launcher, Infrastructure/local-postgres.sh)");
        }

        if (missing.Count > 0)
        {
            throw new SetupProblemException(Explain(missing));
        }

        return new(redisServer, postgresBin, bash);
    }

    private static string? FindRedisServer(string? configured, List<string> missing)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (ExecutableLocator.IsExecutable(configured))
            {
                return Path.GetFullPath(configured);
            }

            missing.Add($"redis-server: '{configured}' (from {ShieldConfigKeys.RedisServer}) is not an executable file");
            return null;
        }

        var onPath = ExecutableLocator.FindOnPath("redis-server");
        if (onPath is null)
        {
            missing.Add($"redis-server: not found on PATH ({ShieldConfigKeys.RedisServer} is not set)");
        }

        return onPath;
    }

    /// <summary>The search order of <c>local-postgres.sh</c>: the setting, <c>pg_config --bindir</c>, the newest <c>/usr/lib/postgresql/*/bin</c>, PATH.</summary>
    private static string? FindPostgresBin(string? configured, List<string> missing)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (HasServer(configured))
            {
                return Path.GetFullPath(configured);
            }

            missing.Add($"PostgreSQL server binaries: no postgres and initdb in '{configured}' (from {ShieldConfigKeys.PostgresBin})");
            return null;
        }

        // On Debian/Ubuntu pg_config may come from libpq-dev alone and name a folder without a server.
        if (ExecutableLocator.FindOnPath("pg_config") is { } pgConfig
            && ExecutableLocator.FirstLineOf(pgConfig, "--bindir") is { } bindir
            && HasServer(bindir))
        {
            return bindir;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.EnumerateDirectories(debianRoot)
                .Select(dir => (Dir: Path.Combine(dir, "bin"), Version: MajorMinor(Path.GetFileName(dir))))
                .Where(x => x.Version is not null && ExecutableLocator.IsExecutable(Path.Combine(x.Dir, "postgres")))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        // The Debian packages keep initdb off PATH, so PATH comes last.
        if (ExecutableLocator.FindOnPath("postgres") is { } postgres && Path.GetDirectoryName(postgres) is { } dir && HasServer(dir))
        {
            return dir;
        }

        missing.Add($"PostgreSQL server binaries (postgres, initdb): not found by pg_config --bindir, in /usr/lib/postgresql/*/bin or on PATH ({ShieldConfigKeys.PostgresBin} is not set)");
        return null;
    }

    /// <summary>Debian names the folders after the major version alone (15), which <see cref="Version"/> does not parse.</summary>
    private static Version? MajorMinor(string name) =>
        Version.TryParse(name.Contains('.') ? name : name + ".0", out var version) ? version : null;

    private static bool HasServer(string directory) =>
        ExecutableLocator.IsExecutable(Path.Combine(directory, "postgres"))
        && ExecutableLocator.IsExecutable(Path.Combine(directory, "initdb"));

    private static string Explain(IReadOnlyList<string> missing)
    {
        var text = new StringBuilder();
        text.AppendLine("Shield cannot start: in local mode it runs Redis and PostgreSQL from this machine, which lacks:");
        foreach (var item in missing)
        {
            text.Append("  - ").AppendLine(item);
        }

        text.AppendLine()
            .AppendLine("Install them:")
            .Append("  Debian/Ubuntu: ").AppendLine(DebianInstall)
            .Append("  macOS:         ").AppendLine(MacInstall)
            .AppendLine()
            .AppendLine("Or tell Shield where they are (command line, appsettings.json, or Shield__Local__… environment variables):")
            .Append("  --").Append(ShieldConfigKeys.RedisServer).AppendLine("=/path/to/redis-server")
            .Append("  --").Append(ShieldConfigKeys.PostgresBin).AppendLine("=/path/to/postgresql/bin   (the folder holding postgres and initdb;")
            .AppendLine("      Homebrew's postgresql@15 is not on PATH: use $(brew --prefix postgresql@15)/bin)")
            .AppendLine()
            .AppendLine("Or use a Redis or PostgreSQL server you already run, by connection string (Shield then starts no server of that kind):")
            .Append("  --ConnectionStrings:").Append(ResourceNames.Redis).AppendLine("=localhost:6379")
            .Append("  --ConnectionStrings:").Append(ResourceNames.Database).AppendLine("=\"Host=localhost;Port=5432;Username=postgres;Password=...;Database=shield\"")
            .AppendLine()
            .Append("With Docker or Podman running, the AppHost uses containers instead (or force it: --").Append(ShieldConfigKeys.Infrastructure).Append("=containers).");
        return text.ToString();
    }
}
