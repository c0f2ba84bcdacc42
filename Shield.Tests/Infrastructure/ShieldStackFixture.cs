using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Shield.Tests.Telemetry;
using StackExchange.Redis;

namespace Shield.Tests.Infrastructure;

/// <summary>
/// Starts the real AppHost once for all end-to-end tests: redis-server and PostgreSQL as local executables
/// (the mode used without a container runtime), then the Api and Workers projects, exactly as
/// <c>dotnet run --project Shield.AppHost</c> does. Data goes to a fresh temporary folder per run.
/// </summary>
public class ShieldStackFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "shield-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public DistributedApplication App { get; private set; } = null!;
    /// <summary>The Api with the stack's write key, as an authorised client would call it.</summary>
    public HttpClient Api { get; private set; } = null!;

    /// <summary>The Api with the stack's read key.</summary>
    public HttpClient ReadApi { get; private set; } = null!;

    /// <summary>The Api without any API key.</summary>
    public HttpClient AnonymousApi { get; private set; } = null!;

    /// <summary>The write key: the first of the AppHost parameter <c>api-key</c>.</summary>
    public string ApiKey { get; } = "test-key-" + Guid.NewGuid().ToString("N");

    /// <summary>The read key: the first of the AppHost parameter <c>api-read-key</c>.</summary>
    public string ReadKey { get; } = "test-read-key-" + Guid.NewGuid().ToString("N");

    /// <summary>A second write key (two keys per scope, as while one is rotated), whose write budget only the rate-limit test spends.</summary>
    public string RateLimitWriteKey { get; } = "test-rate-write-" + Guid.NewGuid().ToString("N");

    /// <summary>A further read key whose read budget only the read rate-limit test spends.</summary>
    public string RateLimitReadKey { get; } = "test-rate-read-" + Guid.NewGuid().ToString("N");

    /// <summary>Two further read keys, two clients for the event-stream limit test.</summary>
    public IReadOnlyList<string> StreamLimitKeys { get; } = ["test-streams-a-" + Guid.NewGuid().ToString("N"), "test-streams-b-" + Guid.NewGuid().ToString("N")];

    /// <summary>Event streams per client and in all, low enough for a test to reach (the CLI opens up to 8 at once).</summary>
    public const int MaxEventStreamsPerClient = 10;
    public const int MaxEventStreams = 20;

    /// <summary>Half the default read budget, so the read rate-limit test reaches it sooner; still 50 a second for every other test.</summary>
    public const int ReadRequestsPerMinute = 3000;

    /// <summary>Unfinished chunks beyond which submissions are refused, set low so the limit can be reached in a test.</summary>
    public const int MaxBacklog = 2500;
    public IConnectionMultiplexer Redis { get; private set; } = null!;
    public string PostgresConnectionString { get; private set; } = null!;
    public string RedisConnectionString { get; private set; } = null!;

    /// <summary>Further AppHost settings of a derived fixture.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    /// <summary>Where this stack's local Redis and PostgreSQL keep their data.</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>What a derived fixture must have running before the AppHost starts (a model server, say).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>What a derived fixture stops after the AppHost.</summary>
    protected virtual ValueTask AfterStopAsync() => ValueTask.CompletedTask;

    /// <summary>Every span the Api and Workers export (they export to it as they would to the dashboard).</summary>
    public OtlpTraceReceiver Traces { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await BeforeStartAsync();
        Traces = await OtlpTraceReceiver.StartAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shield_AppHost>(
            [
                "--Shield:Infrastructure=local",
                $"--Shield:DataDirectory={_dataDirectory}",
                // Not 6379: a developer's own stack (or a second test run) may hold it.
                $"--Shield:Local:RedisPort={FreeTcpPort()}",
                $"--Parameters:api-key={ApiKey},{RateLimitWriteKey}",
                $"--Parameters:api-read-key={string.Join(',', [ReadKey, RateLimitReadKey, .. StreamLimitKeys])}",
                $"--Shield:Api:MaxEventStreamsPerClient={MaxEventStreamsPerClient}",
                $"--Shield:Api:MaxEventStreams={MaxEventStreams}",
                $"--Shield:Api:ReadRequestsPerMinute={ReadRequestsPerMinute}",
                $"--Shield:Ingestion:MaxBacklog={MaxBacklog}",
                .. ExtraArguments,
            ], cts.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        foreach (var service in new[] { "api", "workers" })
        {
            builder.CreateResourceBuilder<ProjectResource>(service)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", Traces.Endpoint.ToString().TrimEnd('/'))
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "200")
                // Metrics every second: the receiver sees the exporters running even while they have no span to send.
                .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "1000");
        }

        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("api", cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("workers", cts.Token);

        Api = App.CreateHttpClient("api");
        Api.Timeout = TimeSpan.FromMinutes(2);
        Api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        ReadApi = CreateApiClient(ReadKey);
        AnonymousApi = App.CreateHttpClient("api");
        RedisConnectionString = (await App.GetConnectionStringAsync("redis", cts.Token))!;
        PostgresConnectionString = (await App.GetConnectionStringAsync("shield", cts.Token))!;
        Redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionString);
    }

    /// <summary>
    /// Waits for a resource to be healthy again after a restart. A stopped resource's last state (Finished) can still
    /// arrive after its restart began, so terminal states on the way are waited through; a resource that never comes
    /// back fails with its own last log lines, which say why.
    /// </summary>
    public async Task WaitForHealthyAsync(string resource, TimeSpan timeout)
    {
        try
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.WaitOnResourceUnavailable)
                .WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            var lines = new List<string>();
            await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
            Assert.Fail($"'{resource}' was not healthy within {timeout}; its last log lines:\n{string.Join('\n', lines.TakeLast(30))}");
        }
    }

    /// <summary>A new client of the stack's Api that sends <paramref name="key"/> (none when null).</summary>
    public HttpClient CreateApiClient(string? key)
    {
        var client = App.CreateHttpClient("api");
        client.Timeout = TimeSpan.FromMinutes(2);
        if (key is not null) client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        ReadApi?.Dispose();
        AnonymousApi?.Dispose();
        if (Redis is not null) await Redis.DisposeAsync();
        if (App is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await App.StopAsync(cts.Token);
            await App.DisposeAsync();
        }
        await AfterStopAsync();
        if (Traces is not null) await Traces.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Tests that share one running stack run one after another, so their counts don't interfere.</summary>
[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<ShieldStackFixture>
{
    public const string Name = "Shield stack";
}
