using Microsoft.Extensions.Logging;

namespace Shield.Drills;

/// <summary>How a <see cref="ShieldStack"/> is started: what a test fixture or the fault bench chooses.</summary>
public sealed record ShieldStackOptions
{
    /// <summary>The start of the temporary data folder's name; a random suffix follows.</summary>
    public string DataDirectoryPrefix { get; init; } = "shield-drills-";

    /// <summary>The local redis-server's port; null takes a free one (not 6379: a developer's own stack may hold it).</summary>
    public int? RedisPort { get; init; }

    /// <summary>The AppHost parameter <c>api-key</c>: one or more write keys; <see cref="ShieldStack.Api"/> sends the first.</summary>
    public IReadOnlyList<string> WriteKeys { get; init; } = ["drill-key-" + Guid.NewGuid().ToString("N")];

    /// <summary>The AppHost parameter <c>api-read-key</c>; none leaves it to the AppHost.</summary>
    public IReadOnlyList<string> ReadKeys { get; init; } = [];

    /// <summary>Further AppHost settings (<c>--Section:Key=value</c>), after the ones above, so they can override them.</summary>
    public IReadOnlyList<string> AppHostArguments { get; init; } = [];

    /// <summary>
    /// An OTLP/HTTP endpoint the api and workers export to (protobuf, spans within 200 ms, metrics every second);
    /// null leaves their telemetry settings as the AppHost makes them.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>The test host's logging (the AppHost's and, through its resource loggers, the services' output).</summary>
    public Action<ILoggingBuilder> Logging { get; init; } = logging => logging.SetMinimumLevel(LogLevel.Warning);

    /// <summary>How long the start may take, until the api and workers are healthy.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long stopping the app may take when the stack is disposed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Workers settings for a stack that loses processes on purpose: <paramref name="replicas"/> Workers processes,
    /// a lost one's entries claimed back after 8 s (not the production five minutes), health every 2 s, 20 s to drain
    /// on SIGTERM, batches of 4 (so a killed process holds few entries).
    /// </summary>
    public static IReadOnlyList<string> FaultDrillWorkers(int replicas) =>
    [
        $"--Shield:Workers:Replicas={replicas}",
        "--Shield:Workers:TimeoutSeconds=8",
        "--Shield:Workers:HealthCheckInterval=2",
        "--Shield:Workers:GracefulShutdownTimeout=20",
        "--Shield:Workers:BatchSize=4",
    ];
}
