using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Shield.AppHost.Infrastructure;

/// <summary>redis-server run from the host. Same connection string shape as Aspire's RedisResource, minus the password.</summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

internal static class LocalRedisExtensions
{
    /// <summary>
    /// Adds <paramref name="redisServer"/> as an executable with append-only persistence under <paramref name="dataDirectory"/>.
    /// </summary>
    /// <remarks>
    /// No password: the server binds to 127.0.0.1 only and its port is reachable only through DCP's proxy
    /// on the same machine, exactly like the rest of a developer's loopback services. Adding one would mean
    /// either putting it on the command line (visible in ps) or writing a config file holding it.
    /// </remarks>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, string redisServer, string dataDirectory)
    {
        var redisData = Path.Combine(dataDirectory, "redis");
        Directory.CreateDirectory(redisData);

        // 6379 so redis-cli's defaults reach it; a system redis service on 6379 needs stopping or this moved.
        var port = builder.Configuration.GetValue<int?>(ShieldConfigKeys.RedisPort) ?? 6379;

        var redis = new LocalRedisResource(name, redisServer, redisData);

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
            // Proxied: the proxy owns the fixed port, redis listens on a port DCP picks, so a restart never races a lingering socket.
            .WithEndpoint(port: port, name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", isProxied: true)
            .WithArgs(context =>
            {
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--dir");
                context.Args.Add(redisData);
                // AOF alone is the persistence: at most a second of writes lost, and no RDB fork pauses.
                context.Args.Add("--appendonly");
                context.Args.Add("yes");
                context.Args.Add("--appendfsync");
                context.Args.Add("everysec");
                context.Args.Add("--save");
                context.Args.Add("");
                // Queues and idempotency keys live here; evicting them silently would lose work.
                context.Args.Add("--maxmemory-policy");
                context.Args.Add("noeviction");
                // Without a supervisor, redis must not try to daemonize or talk to systemd.
                context.Args.Add("--daemonize");
                context.Args.Add("no");
            })
            .WithIconName("Database")
            .WithHealthCheck(healthCheckKey)
            // A development-only stand-in; deployments describe the container instead.
            .ExcludeFromManifest();
    }
}
