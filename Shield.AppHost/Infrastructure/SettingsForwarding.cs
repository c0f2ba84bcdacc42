using Microsoft.Extensions.Configuration;

namespace Shield.AppHost.Infrastructure;

public static class SettingsForwarding
{
    /// <summary>
    /// Passes the AppHost's own settings under the given keys to a service as environment variables, so one place
    /// (AppHost appsettings, user secrets or <c>--Shield:Workers:PoolSize=8</c> on the command line) tunes the whole
    /// stack. Keys that are not set are not passed: the services keep their defaults.
    /// </summary>
    public static IResourceBuilder<T> WithSettingsFrom<T>(this IResourceBuilder<T> builder, IConfiguration configuration, params string[] keys)
        where T : IResourceWithEnvironment
    {
        foreach (var key in keys)
        {
            var section = configuration.GetSection(key);
            var values = section.Value is { } single
                ? [new KeyValuePair<string, string?>(key, single)]
                : section.AsEnumerable(makePathsRelative: false).Where(kv => kv.Value is not null);
            foreach (var (name, value) in values)
            {
                builder.WithEnvironment(name.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }
        return builder;
    }
}

public static class RunLifetime
{
    /// <summary>Same key as the services' <c>OrphanedProcessGuard.AppHostProcessIdKey</c>, as an environment variable.</summary>
    private const string AppHostProcessIdVariable = "Shield__Run__AppHostProcessId";

    /// <summary>
    /// Tells a service which AppHost runs it, so that it stops once this run is gone (its launcher or the AppHost
    /// killed) instead of living on and joining later runs. Run mode only: a deployment has no AppHost process.
    /// </summary>
    public static IResourceBuilder<T> ExitingWithThisRun<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithEnvironment
    {
        if (builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            builder.WithEnvironment(AppHostProcessIdVariable, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder;
    }
}
