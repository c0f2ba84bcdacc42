using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shield.Api.Ingestion;
using Shield.Bench;
using Shield.Bench.Documents;
using Shield.Ingestion;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Knowledge;
using Shield.Workers.Extraction;
using Shield.Workers.Pool;
using Shield.Workers.Processing;
using StackExchange.Redis;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

await using var servers = new LocalServers();
var redisEndpoint = options.Redis;
var postgres = options.Postgres;
if (redisEndpoint is null)
{
    await servers.StartRedisAsync();
    redisEndpoint = servers.RedisEndpoint;
}
if (postgres is null)
{
    await servers.StartPostgresAsync();
    postgres = servers.PostgresConnectionString;
}

if (options.Workload == "document")
{
    // The real job (a long document through the whole pipeline and its finalisation): bench/Shield.Bench/Documents.
    return await DocumentWorkload.RunAsync(options, redisEndpoint, postgres);
}

using var probe = new Probe();
var stages = new StageClock();

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = false, Args = [] });
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:redis"] = redisEndpoint,
    ["ConnectionStrings:shield"] = postgres,
    ["Shield:Workers:PoolSize"] = options.PoolSize.ToString(CultureInfo.InvariantCulture),
    ["Shield:Workers:GracefulShutdownTimeout"] = "10",
    // Finished jobs expire quickly only in the memory check, so it can see them go within the run.
    ["Shield:Workers:JobStatusTtl"] = options.MemoryCheck ? "5" : "3600",
    ["Shield:Workers:HealthCheckInterval"] = options.MemoryCheck ? "5" : "30",
    ["Logging:LogLevel:Default"] = "Warning",
    // The first migration's probe of a missing history table is logged as a failed command; it is expected.
    ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "None",
});
if (options.BatchSize > 0)
{
    builder.Configuration["Shield:Workers:BatchSize"] = options.BatchSize.ToString(CultureInfo.InvariantCulture);
}

// Exactly the Workers' Program.cs registrations (without ServiceDefaults' exporters), then the processor swapped.
builder.AddRedisClient("redis");
builder.AddNpgsqlDbContext<ShieldDbContext>("shield",
    configureDbContextOptions: o => o.AddInterceptors(probe.SaveInterceptor, probe.CommandInterceptor));
builder.Services.AddJobTracking();
builder.AddChunkProcessing();
builder.AddWorkerPool();
// The pool is started by hand, inside the timing; the process's other hosted services start with the host.
builder.Services.Remove(builder.Services.Single(s => s.ServiceType == typeof(IHostedService) && s.ImplementationType == typeof(WorkerPool)));
builder.Services.AddSingleton<WorkerPool>();
builder.Services.AddSingleton(probe);
builder.Services.AddSingleton(stages);
switch (options.Workload)
{
    case "noop":
        builder.Services.Replace(ServiceDescriptor.Scoped<IChunkProcessor>(s =>
            new ProbedProcessor(new NoopProcessor(), probe, stages)));
        break;
    case "delay":
        builder.Services.Replace(ServiceDescriptor.Scoped<IChunkProcessor>(s =>
            new ProbedProcessor(new DelayProcessor(options.DelayMs, options.DelayTimer == "task-delay"), probe, stages)));
        break;
    default:
        // The real LightRagChunkProcessor with the embedded defaults; its steps are timed through decorators.
        builder.Services.AddSingleton<OfflineEntityExtractor>();
        builder.Services.AddSingleton<MiniLmEmbeddingGenerator>();
        builder.Services.AddScoped<PostgresVectorStore>();
        builder.Services.Replace(ServiceDescriptor.Singleton<IEntityExtractor>(s => new TimedExtractor(s.GetRequiredService<OfflineEntityExtractor>(), stages)));
        builder.Services.Replace(ServiceDescriptor.Singleton<IEmbeddingGenerator<string, Embedding<float>>>(s =>
            new TimedEmbeddings(s.GetRequiredService<MiniLmEmbeddingGenerator>(), stages)));
        builder.Services.Replace(ServiceDescriptor.Scoped<IVectorStore>(s => new TimedVectorStore(s.GetRequiredService<PostgresVectorStore>(), stages)));
        builder.Services.Replace(ServiceDescriptor.Scoped<IChunkProcessor>(s =>
            new ProbedProcessor(ActivatorUtilities.CreateInstance<LightRagChunkProcessor>(s), probe, stages)));
        break;
}

using var host = builder.Build();
await host.Services.MigrateShieldDatabaseAsync();
// A Workers process's start: its services are constructed (loading the in-process embedding model, which
// HeartbeatService reports and the noop and delay workloads never use) and telemetry, the heartbeat, the retry schedule
// and the progress writer start. Node's equivalent (loading modules) happens before the peer's timing too.
await host.StartAsync();
var pool = host.Services.GetRequiredService<WorkerPool>();
var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
// The harness's own connection, for INFO and DBSIZE (admin commands the services' connection does not allow).
await using var admin = await ConnectionMultiplexer.ConnectAsync(redisEndpoint + ",allowAdmin=true");
var db = admin.GetDatabase();
var memoryAtStart = await UsedMemoryAsync(db);

// ---- Throughput: enqueue everything as the Api would (backlog check, then JobStore.CreateAsync per request of
// at most --job-size chunks), then start the pool and time it until every chunk is acknowledged. BullMQ's peer
// does the same: addBulk all jobs, then start its worker.
var corpus = Corpus.Build(options.Workload, options.Chunks);
var jobIds = new List<Guid>();
probe.Expect(options.Chunks);
var enqueueWatch = Stopwatch.StartNew();
for (var offset = 0; offset < options.Chunks; offset += options.JobSize)
{
    var size = Math.Min(options.JobSize, options.Chunks - offset);
    var job = new NewJob(Guid.CreateVersion7(), "bench", """{"bench":true}""",
        [.. Enumerable.Range(offset, size).Select(i => new NewChunk(corpus[i], $"bench://{i}", """{"bench":true}"""))]);
    await AcceptAsync(job);
    jobIds.Add(job.JobId);
}
enqueueWatch.Stop();

// Starting the worker pool is timed (creating the consumer group, subscribing to wake-ups, announcing its consumers,
// compiling its code on first use), as the peer's timing includes `new Worker`.
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var (allocatedBefore, gcsBefore) = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(0));
var (jitBefore, jitMethodsBefore) = (JitInfo.GetCompilationTime(), JitInfo.GetCompiledMethodCount());
var processWatch = Stopwatch.StartNew();
var processStartTimestamp = Stopwatch.GetTimestamp();
await pool.StartAsync(CancellationToken.None);
await WaitAsync(probe.AllDone, options.Chunks, TimeSpan.FromMinutes(30));
processWatch.Stop();
var busyCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
var (allocated, gcs) = (GC.GetTotalAllocatedBytes() - allocatedBefore, GC.CollectionCount(0) - gcsBefore);
var (jit, jitMethods) = (JitInfo.GetCompilationTime() - jitBefore, JitInfo.GetCompiledMethodCount() - jitMethodsBefore);
var stageTotals = stages.TakeMilliseconds();
var (pgMilliseconds, pgCommands) = probe.TakePostgres();
var loaded = probe.TimingsOf(jobIds);

// ---- Idle: the pool with nothing to do. Let the burst's tail settle first (the last acks and events, GC, the
// runtime recompiling hot framework code in the background, surplus thread-pool threads).
await Task.Delay(TimeSpan.FromSeconds(options.IdleSettleSeconds));
var idleProcess = Process.GetCurrentProcess();
var idleCpuStart = idleProcess.TotalProcessorTime;
var idleWatch = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(options.IdleCpuSeconds));
idleProcess.Refresh();
var idleCpuPercent = (idleProcess.TotalProcessorTime - idleCpuStart).TotalMilliseconds / idleWatch.Elapsed.TotalMilliseconds * 100;

// ---- Idle pickup: single-chunk jobs spaced apart, so each finds the pool idle.
var idleJobs = new List<Guid>();
var idleCount = options.Workload == "embedded" ? Math.Min(options.IdleChunks, 50) : options.IdleChunks;
probe.Expect(idleCount);
for (var i = 0; i < idleCount; i++)
{
    var job = new NewJob(Guid.CreateVersion7(), "bench-idle", "{}",
        [new NewChunk(Corpus.Single(options.Workload, i), $"bench-idle://{i}", "{}")]);
    await AcceptAsync(job);
    idleJobs.Add(job.JobId);
    await Task.Delay(options.IdleSpacingMs);
}
await WaitAsync(probe.AllDone, idleCount, TimeSpan.FromMinutes(5));
var idle = probe.TimingsOf(idleJobs);

var result = new JsonObject
{
    ["system"] = "shield",
    ["workload"] = options.Workload,
    ["chunks"] = options.Chunks,
    ["pool_size"] = options.PoolSize,
    ["delay_ms"] = options.DelayMs,
    ["delay_timer"] = options.Workload == "delay" ? options.DelayTimer : null,
    ["enqueue_per_s"] = Math.Round(options.Chunks / enqueueWatch.Elapsed.TotalSeconds),
    ["process_per_s"] = Math.Round(options.Chunks / processWatch.Elapsed.TotalSeconds, 1),
    ["target_per_s"] = options.Workload == "delay" && options.DelayMs > 0 ? options.PoolSize * 1000.0 / options.DelayMs : null,
    ["pickup_p50_ms"] = Percentile(idle.Select(t => Ms(t.Started - t.Enqueued)), 50),
    ["pickup_p99_ms"] = Percentile(idle.Select(t => Ms(t.Started - t.Enqueued)), 99),
    ["end_to_end_p50_ms"] = Percentile(idle.Select(t => Ms(t.Finished - t.Enqueued)), 50),
    ["end_to_end_p99_ms"] = Percentile(idle.Select(t => Ms(t.Finished - t.Enqueued)), 99),
    ["idle_cpu_percent"] = Math.Round(idleCpuPercent, 2),
    ["idle_cpu_window_s"] = $"{options.IdleSettleSeconds}+{options.IdleCpuSeconds}",
    ["idle_samples"] = idle.Count,
    ["busy_cpu_percent"] = Math.Round(busyCpu.TotalMilliseconds / processWatch.Elapsed.TotalMilliseconds * 100, 1),
    ["busy_cpu_us_per_chunk"] = Math.Round(busyCpu.TotalMicroseconds / options.Chunks, 1),
    ["allocated_bytes_per_chunk"] = allocated / options.Chunks,
    ["gc_collections"] = gcs,
    // Compiling methods on first use (and recompiling hot ones) during the timed part: CPU the run spends once per process.
    ["jit_ms"] = Math.Round(jit.TotalMilliseconds),
    ["jit_methods"] = jitMethods,
    // Under load: time a chunk spends in the pool's own bookkeeping (handle minus process), and in PostgreSQL.
    ["loaded_handle_p50_ms"] = Percentile(loaded.Select(t => Ms(t.Finished - t.Started)), 50),
    ["loaded_bookkeeping_after_p50_ms"] = Percentile(loaded.Select(t => Ms(t.Finished - t.ProcessEnded)), 50),
    ["pg_ms_per_chunk"] = Math.Round(pgMilliseconds / options.Chunks, 3),
    ["pg_commands_per_chunk"] = Math.Round((double)pgCommands / options.Chunks, 2),
    ["stage_ms_per_chunk"] = new JsonObject([.. stageTotals.OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value / options.Chunks, 3)))]),
    ["redis_used_memory_start"] = memoryAtStart,
    // Part of the processing time: starting the worker pool until its first chunk starts processing.
    ["first_chunk_started_ms"] = Math.Round(Ms(probe.FirstStarted(jobIds) - processStartTimestamp), 1),
    // Throughput once running, without the start: the middle 80 % of chunks over the time they took to finish.
    ["steady_per_s"] = SteadyRate(loaded.Select(t => t.Finished)),
    ["processors"] = Environment.ProcessorCount,
};

if (options.MemoryCheck)
{
    // Acknowledged entries are trimmed at each health-check interval and finished jobs expire after JobStatusTtl
    // (both 5 s here): wait for both, then compare with the start.
    await Task.Delay(TimeSpan.FromSeconds(15));
    result["redis_used_memory_end"] = await UsedMemoryAsync(db);
    result["redis_stream_length_end"] = await db.StreamLengthAsync(IngestionStream.Key);
    result["redis_events_length_end"] = await db.StreamLengthAsync("shield:events");
    result["redis_keys_end"] = (long)await db.ExecuteAsync("DBSIZE");
    result["redis_memory_change_percent"] = Math.Round(((long)result["redis_used_memory_end"]! - memoryAtStart) * 100.0 / memoryAtStart, 1);
}

using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
{
    await pool.StopAsync(stopping.Token);
    await host.StopAsync(stopping.Token);
}
Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
return 0;

async Task AcceptAsync(NewJob job)
{
    await using var scope = host.Services.CreateAsyncScope();
    // The Api's order: refuse when the backlog is full, then record and enqueue in JobStore.CreateAsync.
    _ = await new QueueBacklog(redis).CountAsync();
    var jobs = scope.ServiceProvider.GetRequiredService<JobStore>();
    probe.Register(job.JobId, job.Chunks.Count);
    await jobs.CreateAsync(job, CancellationToken.None);
    // The row is saved just before the chunks go to Redis: that instant is each chunk's enqueue time.
    probe.Enqueued(job.JobId, job.Chunks.Count, Volatile.Read(ref probe.LastRowSaved));
}

static async Task WaitAsync(Task done, int expected, TimeSpan limit)
{
    if (await Task.WhenAny(done, Task.Delay(limit)) != done)
    {
        throw new TimeoutException($"not all {expected} chunks finished within {limit}");
    }
}

static async Task<long> UsedMemoryAsync(IDatabase db)
{
    var info = (string)(await db.ExecuteAsync("INFO", "memory"))!;
    var line = info.Split('\n').First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
    return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
}

static double? SteadyRate(IEnumerable<long> finished)
{
    var sorted = finished.Where(t => t > 0).Order().ToArray();
    if (sorted.Length < 10) return null;
    var (from, to) = (sorted[sorted.Length / 10], sorted[sorted.Length * 9 / 10]);
    return to > from ? Math.Round((sorted.Length * 9 / 10 - sorted.Length / 10) / (Ms(to - from) / 1000)) : null;
}

static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

static double? Percentile(IEnumerable<double> values, int percent)
{
    var sorted = values.Where(v => v >= 0 && v < 1e9).Order().ToArray();
    if (sorted.Length == 0) return null;
    var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length) - 1;
    return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Length - 1)], 3);
}
