using System.Diagnostics;
using System.Text.Json;
using Shield.Ingestion.Workers;
using StackExchange.Redis;

namespace Shield.Bench.Documents;

/// <summary>
/// A Shield service (the Workers or the Api) run as its own process from the harness's output folder, configured as
/// the AppHost configures it (connection strings and settings as environment variables): the second Workers process
/// of the growth runs, and the Api the query latencies are measured through.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ServiceProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>Starts a Workers process and waits until its heartbeat is in Redis (its pool is consuming).</summary>
    public static async Task<ServiceProcess> StartWorkersAsync(IReadOnlyDictionary<string, string> settings, IConnectionMultiplexer redis)
    {
        var service = Start("Shield.Workers.dll", new Dictionary<string, string>(settings)
        {
            ["Shield__Workers__HealthCheckInterval"] = "5",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        });
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            service.ThrowIfExited();
            var server = redis.GetServers()[0];
            foreach (var key in server.Keys(pattern: WorkerHeartbeat.KeyPrefix + "*"))
            {
                var beat = WorkerHeartbeat.FromJson((string?)await redis.GetDatabase().StringGetAsync(key) ?? "");
                if (beat?.Pid == service.Pid && beat.ActiveConsumers > 0) return service;
            }
            await Task.Delay(200);
        }
        await service.DisposeAsync();
        throw new TimeoutException("the second Workers process did not report its pool within 90 s");
    }

    /// <summary>Starts an Api process on <paramref name="endpoint"/> and waits until it answers <c>/health</c>.</summary>
    public static async Task<ServiceProcess> StartApiAsync(IReadOnlyDictionary<string, string> settings, Uri endpoint)
    {
        var service = Start("Shield.Api.dll", new Dictionary<string, string>(settings) { ["ASPNETCORE_URLS"] = endpoint.ToString().TrimEnd('/') });
        using var http = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            service.ThrowIfExited();
            try
            {
                using var response = await http.GetAsync("/health");
                if (response.IsSuccessStatusCode) return service;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        await service.DisposeAsync();
        throw new TimeoutException("the Api process did not answer /health within 90 s");
    }

    private static ServiceProcess Start(string assembly, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment) info.Environment[name] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {assembly}");
        var service = new ServiceProcess(process);
        // Drained, and the last lines kept for an error message.
        void Keep(string? line)
        {
            if (line is null) return;
            lock (service._output)
            {
                service._output.Add(line);
                if (service._output.Count > 40) service._output.RemoveAt(0);
            }
        }
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    private void ThrowIfExited()
    {
        if (!_process.HasExited) return;
        lock (_output)
        {
            throw new InvalidOperationException($"the service exited ({_process.ExitCode}):\n{string.Join('\n', _output)}");
        }
    }

    /// <summary>Stops it as a deployment would (SIGTERM: a graceful stop), killing it if that takes longer than 30 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }

    /// <summary>A JSON body for <see cref="HttpClient"/> without a dependency on the Api's contracts.</summary>
    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
