using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Shield.Drills;

/// <summary>
/// The real AppHost, started through <c>Aspire.Hosting.Testing</c> in local mode: redis-server and PostgreSQL as
/// local executables (the mode used without a container runtime), then the Api and Workers projects, exactly as
/// <c>dotnet run --project Shield.AppHost</c> does. Data goes to a fresh temporary folder, deleted when the stack is
/// disposed. Start one with <see cref="StartAsync"/>; a test fixture derives from it and calls <see cref="LaunchAsync"/>.
/// </summary>
public class ShieldStack : IAsyncDisposable
{
    private TimeSpan _stopTimeout = TimeSpan.FromMinutes(2);
    private int _disposed;

    protected ShieldStack()
    {
    }

    /// <summary>Starts a stack; returns once the api and workers are healthy. A failed start leaves nothing behind.</summary>
    public static async Task<ShieldStack> StartAsync(ShieldStackOptions options, CancellationToken cancellationToken = default)
    {
        var stack = new ShieldStack();
        try
        {
            await stack.LaunchAsync(options, cancellationToken);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The Api with the first write key, as an authorised client would call it.</summary>
    public HttpClient Api { get; private set; } = null!;

    public IConnectionMultiplexer Redis { get; private set; } = null!;
    public string RedisConnectionString { get; private set; } = null!;
    public string PostgresConnectionString { get; private set; } = null!;

    /// <summary>Where this stack's local Redis and PostgreSQL keep their data.</summary>
    public string DataDirectory { get; private set; } = "";

    /// <summary>Starts the AppHost with <paramref name="options"/> and waits for the api and workers to be healthy.</summary>
    protected async Task LaunchAsync(ShieldStackOptions options, CancellationToken cancellationToken = default)
    {
        if (options.WriteKeys.Count == 0 || options.WriteKeys.Concat(options.ReadKeys).Any(k => string.IsNullOrWhiteSpace(k) || k.Contains(',', StringComparison.Ordinal)))
        {
            throw new ArgumentException("a stack needs at least one write key, and no key may be empty or contain a comma", nameof(options));
        }
        _stopTimeout = options.StopTimeout;
        DataDirectory = Path.Combine(Path.GetTempPath(), options.DataDirectoryPrefix + Guid.NewGuid().ToString("N")[..8]);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(options.StartTimeout);
        var arguments = new List<string>
        {
            "--Shield:Infrastructure=local",
            $"--Shield:DataDirectory={DataDirectory}",
            $"--Shield:Local:RedisPort={options.RedisPort ?? FreeTcpPort()}",
            $"--Parameters:api-key={string.Join(',', options.WriteKeys)}",
        };
        if (options.ReadKeys.Count > 0) arguments.Add($"--Parameters:api-read-key={string.Join(',', options.ReadKeys)}");
        arguments.AddRange(options.AppHostArguments);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shield_AppHost>([.. arguments], cts.Token);
        builder.Services.AddLogging(options.Logging);
        if (options.OtlpEndpoint is { } otlp)
        {
            foreach (var service in new[] { "api", "workers" })
            {
                builder.CreateResourceBuilder<ProjectResource>(service)
                    .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.ToString().TrimEnd('/'))
                    .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                    .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "200")
                    // Metrics every second: a receiver sees the exporters running even while they have no span to send.
                    .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "1000");
            }
        }

        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("api", cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("workers", cts.Token);

        Api = CreateApiClient(options.WriteKeys[0]);
        RedisConnectionString = (await App.GetConnectionStringAsync("redis", cts.Token))!;
        PostgresConnectionString = (await App.GetConnectionStringAsync("shield", cts.Token))!;
        Redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionString);
    }

    /// <summary>A new client of the stack's Api that sends <paramref name="key"/> (none when null).</summary>
    public HttpClient CreateApiClient(string? key)
    {
        var client = App.CreateHttpClient("api");
        client.Timeout = TimeSpan.FromMinutes(2);
        if (key is not null) client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    /// <summary>
    /// Waits for a resource to be healthy again after a restart. A stopped resource's last state (Finished) can still
    /// arrive after its restart began, so terminal states on the way are waited through; a resource that never comes
    /// back fails with its own last log lines, which say why.
    /// </summary>
    public async Task WaitForHealthyAsync(string resource, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.WaitOnResourceUnavailable, cancellationToken)
                .WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            var lines = new List<string>();
            await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(cancellationToken))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
            throw new TimeoutException($"'{resource}' was not healthy within {timeout}; its last log lines:\n{string.Join('\n', lines.TakeLast(30))}");
        }
    }

    /// <summary>A dependency's status (<c>up</c>, <c>down</c>, …) as the Api's <c>/health/detailed</c> reports it; null when it is not listed.</summary>
    public async Task<string?> DependencyStatusAsync(string dependency, CancellationToken cancellationToken = default)
    {
        using var health = await Api.GetAsync("/health/detailed", cancellationToken);
        var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync(cancellationToken)).RootElement;
        return report.TryGetProperty(dependency, out var part) ? part.GetProperty("status").GetString() : null;
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

    /// <summary>Stops the app (within the options' stop timeout) and deletes the data folder; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await DisposeCoreAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>What disposing releases; a derived stack releases its own parts around the base's.</summary>
    protected virtual async ValueTask DisposeCoreAsync()
    {
        Api?.Dispose();
        if (Redis is not null) await Redis.DisposeAsync();
        try
        {
            if (App is not null)
            {
                try
                {
                    using var cts = new CancellationTokenSource(_stopTimeout);
                    await App.StopAsync(cts.Token);
                }
                finally
                {
                    await App.DisposeAsync();
                }
            }
        }
        finally
        {
            DeleteDataDirectory();
        }
    }

    private void DeleteDataDirectory()
    {
        try
        {
            if (DataDirectory.Length > 0 && Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A server that is still shutting down can hold a file; the folder is under the system's temporary folder.
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
