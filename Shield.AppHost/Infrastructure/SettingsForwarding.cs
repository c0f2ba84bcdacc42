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
