using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using StackExchange.Redis;

namespace Shield.FaultBench;

/// <summary>
/// The real AppHost, started as Shield.Tests' ResilienceStackFixture starts it: local redis-server and PostgreSQL,
/// three Workers processes with short timeouts, data in a fresh temporary folder that is deleted afterwards.
/// </summary>
public sealed class BenchStack : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    private BenchStack(string dataDirectory) => DataDirectory = dataDirectory;

    /// <summary>Where this stack's local Redis and PostgreSQL keep their data.</summary>
    public string DataDirectory { get; }

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The Api with the stack's API key.</summary>
    public HttpClient Api { get; private set; } = null!;

    public IConnectionMultiplexer Redis { get; private set; } = null!;
    public string PostgresConnectionString { get; private set; } = null!;

    public static async Task<BenchStack> StartAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var stack = new BenchStack(Path.Combine(Path.GetTempPath(), "shield-faultbench-" + Guid.NewGuid().ToString("N")[..8]));
        try
        {
            await stack.InitializeAsync(options, cancellationToken);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(StartTimeout);
        var apiKey = "faultbench-" + Guid.NewGuid().ToString("N");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shield_AppHost>(
            [
                "--Shield:Infrastructure=local",
                $"--Shield:DataDirectory={DataDirectory}",
                $"--Parameters:api-key={apiKey}",
                // Not 6379: other stacks on this machine (a developer's, the test suite's) own that one.
                $"--Shield:Local:RedisPort={options.RedisPort}",
                // ResilienceStackFixture's settings: three processes (two can be lost), reclaims within seconds.
                "--Shield:Workers:Replicas=3",
                "--Shield:Workers:TimeoutSeconds=8",
                "--Shield:Workers:HealthCheckInterval=2",
                "--Shield:Workers:GracefulShutdownTimeout=20",
                "--Shield:Workers:BatchSize=4",
            ], cts.Token);
        // Standard output carries the one result line; everything logged goes to standard error.
        // Without --verbose only the host's own warnings show: the services' output and the health checks failing
        // during a fault (or while the stack stops) are expected and would bury the bench's own lines.
        builder.Services.AddLogging(logging =>
        {
            logging.ClearProviders()
                .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
                .SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning);
            if (!options.Verbose)
            {
                logging.AddFilter(null, LogLevel.Warning)
                    .AddFilter("Shield.AppHost.Resources", LogLevel.None)
                    .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);
            }
        });

        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("api", cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("workers", cts.Token);

        Api = App.CreateHttpClient("api");
        Api.Timeout = TimeSpan.FromMinutes(2);
        Api.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        var redisConnectionString = (await App.GetConnectionStringAsync("redis", cts.Token))!;
        PostgresConnectionString = (await App.GetConnectionStringAsync("shield", cts.Token))!;
        // abortConnect=false: the multiplexer keeps reconnecting across a Redis restart instead of giving up.
        Redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString + ",abortConnect=false");
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

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        if (Redis is not null) await Redis.DisposeAsync();
        if (App is not null)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await App.StopAsync(cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                Console.Error.WriteLine($"[faultbench] stopping the app: {e.Message}");
            }
            await App.DisposeAsync();
        }
        try
        {
            if (Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"[faultbench] could not delete {DataDirectory}: {e.Message}");
        }
    }
}
