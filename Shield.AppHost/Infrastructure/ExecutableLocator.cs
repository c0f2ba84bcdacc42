namespace Shield.AppHost.Infrastructure;

/// <summary>Resolves host binaries up front so a missing one fails the AppHost with advice, not DCP with "file not found".</summary>
internal static class ExecutableLocator
{
    public static string? FindOnPath(string fileName)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Uses the configured path when given (it must exist), else the first match on PATH.</summary>
    public static string Require(string? configured, string fileName, string configKey, string installHint)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? Path.GetFullPath(configured)
                : throw new DistributedApplicationException($"{fileName} not found at '{configured}' (from {configKey}).");
        }

        return FindOnPath(fileName)
            ?? throw new DistributedApplicationException($"{fileName} not found: {installHint} or set {configKey}.");
    }
}
