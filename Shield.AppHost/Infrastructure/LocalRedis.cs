using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Shield.AppHost.Infrastructure;

/// <summary>
/// redis-server run from the host through <c>local-redis.sh</c>. Same connection string shape as Aspire's RedisResource:
/// <c>host:port,password=…</c>.
/// </summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={PasswordParameter}");
}

internal static class LocalRedisExtensions
{
    private const string LauncherScript = "local-redis.sh";

    /// <summary>
    /// Adds <paramref name="redisServer"/> as an executable with append-only persistence under <paramref name="dataDirectory"/>,
    /// behind a password made anew for every run of the AppHost.
    /// </summary>
    /// <remarks>
    /// The per-run password is what keeps runs apart: local Redis listens on the same port (6379) in every run, so a
    /// process left over from an earlier run (a Workers process whose launcher was killed, say) would otherwise join
    /// this run's consumer group and take chunks it cannot finish. With another run's password, it is refused.
    /// The launcher passes the password to redis-server on stdin, never on the command line.
    /// </remarks>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, string redisServer, string dataDirectory)
    {
        var bash = ExecutableLocator.FindOnPath("bash")
            ?? throw new DistributedApplicationException("bash not found on PATH: the local Redis launcher is a bash script.");
        var script = Path.Combine(builder.AppHostDirectory, "Infrastructure", LauncherScript);
        if (!File.Exists(script))
        {
            throw new DistributedApplicationException($"Redis launcher missing: {script}");
        }

        var redisData = Path.Combine(dataDirectory, "redis");
        Directory.CreateDirectory(redisData);

        // 6379 so redis-cli's defaults reach it; a system redis service on 6379 needs stopping or this moved.
        var port = builder.Configuration.GetValue<int?>(ShieldConfigKeys.RedisPort) ?? 6379;

        // Not persisted: a new value every run (Parameters:redis-password still overrides it, for a fixed one).
        var password = builder.AddParameter(
            $"{name}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false },
            secret: true,
            persist: false);

        var redis = new LocalRedisResource(name, bash, redisData, password.Resource);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, ct) =>
        {
            connectionString = await redis.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                ?? throw new DistributedApplicationException($"ConnectionStringAvailableEvent was published for '{name}' but the connection string was null.");
        });

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(
            _ => connectionString ?? throw new InvalidOperationException("Connection string is unavailable"),
            name: healthCheckKey);

        return builder.AddResource(redis)
            // Proxied: the proxy owns the fixed port, redis listens on a port DCP picks (the same one across restarts of
            // the resource, which is why the launcher waits for the previous server to let go of it).
            .WithEndpoint(port: port, name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", isProxied: true)
            .WithArgs(context =>
            {
                context.Args.Add(script);
                context.Args.Add(redisServer);
                context.Args.Add(redisData);
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            // The password travels in the environment: argv is world-readable through ps and /proc.
            .WithEnvironment("SHIELD_REDIS_PASSWORD", password)
            .WithIconName("Database")
            .WithHealthCheck(healthCheckKey)
            // A development-only stand-in; deployments describe the container instead.
            .ExcludeFromManifest();
    }
}
