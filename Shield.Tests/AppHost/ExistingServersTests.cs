using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shield.AppHost.Infrastructure;
using Shield.Ingestion.Jobs;
using Shield.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shield.Tests.AppHost;

/// <summary>
/// What the first-run message offers instead of installing anything for Shield: servers already running, given as
/// <c>ConnectionStrings:redis</c> and <c>ConnectionStrings:shield</c>. The AppHost then starts neither, and the jobs
/// land in the servers it was given.
/// </summary>
[Collection(ExistingServersCollection.Name)]
public sealed class ExistingServersTests(ExistingServersStackFixture stack)
{
    [Fact]
    public async Task Stack_uses_the_Redis_and_PostgreSQL_it_is_given_and_starts_neither()
    {
        var model = stack.App.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.DoesNotContain(model.Resources, r => r is LocalRedisResource or LocalPostgresServerResource);

        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 2));
        var jobId = Guid.Parse(accepted.GetProperty("job_id").GetString()!);
        var job = await stack.Api.WaitForJobAsync(jobId.ToString(), TimeSpan.FromMinutes(2));
        Assert.Equal("completed", job.GetProperty("status").GetString());

        // Read back from the servers themselves, not through anything the AppHost resolved.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(stack.ExistingRedis);
        Assert.Equal("completed", (string?)await redis.GetDatabase().HashGetAsync(JobKeys.Hash(jobId), "status"));
        await using var connection = new NpgsqlConnection(stack.ExistingPostgres);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT count(*) FROM job_chunks WHERE job_id = @id", connection);
        query.Parameters.AddWithValue("id", jobId);
        Assert.Equal(2L, await query.ExecuteScalarAsync());
    }
}

/// <summary>
/// The default stack, but with a redis-server and a PostgreSQL this fixture runs itself (PostgreSQL through the
/// AppHost's own launcher script, as a developer's existing server would be), passed in by connection string.
/// </summary>
public sealed class ExistingServersStackFixture : ShieldStackFixture
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("shield-existing-");
    private readonly string _password = "pw" + Guid.NewGuid().ToString("N");
    private Process? _redis;
    private Process? _postgres;

    public string ExistingRedis { get; private set; } = "";
    public string ExistingPostgres { get; private set; } = "";

    protected override IEnumerable<string> ExtraArguments =>
        [$"--ConnectionStrings:redis={ExistingRedis}", $"--ConnectionStrings:shield={ExistingPostgres}"];

    protected override async Task BeforeStartAsync()
    {
        var redisPort = FreePort();
        _redis = Start("redis-server", ["--port", redisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        ExistingRedis = $"127.0.0.1:{redisPort}";

        var postgresPort = FreePort();
        var launcher = Path.Combine(Repository.Root, "Shield.AppHost", "Infrastructure", "local-postgres.sh");
        _postgres = Start("bash", [launcher, Path.Combine(_root.FullName, "postgres"), postgresPort.ToString(), "shield", .. PostgresServerSettings.CommandLine],
            ("SHIELD_PG_PASSWORD", _password));
        ExistingPostgres = $"Host=127.0.0.1;Port={postgresPort};Username=postgres;Password={_password};Database=shield";

        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(ExistingRedis + ",abortConnect=true,connectTimeout=500");
                await using var connection = new NpgsqlConnection(ExistingPostgres + ";Pooling=false");
                await connection.OpenAsync();
                return true;
            }
            catch (Exception e) when (e is RedisConnectionException or NpgsqlException && !_redis.HasExited && !_postgres.HasExited)
            {
                return false;
            }
        }, TimeSpan.FromMinutes(1), "the fixture's own redis-server and PostgreSQL did not start");
    }

    protected override async ValueTask AfterStopAsync()
    {
        foreach (var process in new[] { _postgres, _redis })
        {
            if (process is null)
            {
                continue;
            }

            if (!process.HasExited)
            {
                // SIGINT: PostgreSQL's fast shutdown (the launcher exec'd into the postmaster), and redis-server's normal one.
                using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()]))
                {
                    await kill.WaitForExitAsync();
                }
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            process.Dispose();
        }

        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static Process Start(string file, string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        // Drain the output so a chatty server never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class ExistingServersCollection : ICollectionFixture<ExistingServersStackFixture>
{
    public const string Name = "Shield stack on existing servers";
}
