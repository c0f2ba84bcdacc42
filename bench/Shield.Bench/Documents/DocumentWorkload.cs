using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Shield.Api.Ingestion;
using Shield.Documents.Chunking;
using Shield.Drills.Models;
using Shield.Ingestion;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using Shield.Knowledge;
using Shield.Knowledge.ModelCache;
using Shield.Workers.Extraction;
using Shield.Workers.Graph;
using Shield.Workers.Pool;
using Shield.Workers.Processing;
using StackExchange.Redis;

namespace Shield.Bench.Documents;

/// <summary>
/// The <c>document</c> workload: the real job. A generated document is cut into LightRAG's 1,200-token chunks by the
/// <see cref="TokenChunker"/> (Shield.Documents, as the Api cuts an upload), accepted as the Api accepts a job, and processed by an unmodified Workers pipeline
/// (extraction, graph merge, chunk vectors, then the job's finalisation: summaries and entity and relation vectors) until
/// the job is <c>completed</c>. The model back-end is the Workers' embedded default (offline extractor, extractive
/// summaries, MiniLM in process) or the counting <see cref="ScriptedOllamaServer"/> behind the real Ollama client and
/// model cache. Only observers are added: the extractor's answers go to a ledger (to compute LightRAG's cost of the same
/// answers) and the summariser is counted. Each run prints one JSON line for the first ingestion of the document and
/// one for a second ingestion of the same text; <c>--kb-documents N</c> first fills the knowledge base with N other
/// documents of the same world.
/// </summary>
public static class DocumentWorkload
{
    private const string ChatModel = "scripted-chat:1b";
    private const string EmbeddingModel = "scripted-embed";

    public static async Task<int> RunAsync(BenchOptions options, string redisEndpoint, string postgres)
    {
        var chunker = new TokenChunker();
        await using var ollama = options.Model == "scripted" ? await ScriptedOllamaServer.StartAsync(ChatModel, EmbeddingModel) : null;
        ollama?.ScriptWith(ScriptedExtraction.Answer);
        var ledger = new ExtractionLedger(chunker.Tokenizer);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redisEndpoint,
            ["ConnectionStrings:shield"] = postgres,
            ["Shield:Workers:PoolSize"] = options.PoolSize.ToString(CultureInfo.InvariantCulture),
            ["Shield:Workers:GracefulShutdownTimeout"] = "10",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "None",
        };
        if (ollama is not null)
        {
            settings["ConnectionStrings:chat"] = $"Endpoint={ollama.Endpoint};Model={ChatModel}";
            settings["ConnectionStrings:embeddings"] = $"Endpoint={ollama.Endpoint};Model={EmbeddingModel}";
        }
        builder.Configuration.AddInMemoryCollection(settings);

        // Exactly the Workers' Program.cs registrations (without ServiceDefaults' exporters), plus two observers.
        builder.AddRedisClient("redis");
        builder.AddNpgsqlDbContext<ShieldDbContext>("shield");
        builder.Services.AddJobTracking();
        builder.AddChunkProcessing();
        builder.AddWorkerPool();
        Observe<IEntityExtractor>(builder.Services, inner => new LedgerExtractor(inner, ledger));
        CountedSummarizer? summaries = null;
        Observe<IDescriptionSummarizer>(builder.Services, inner => summaries = new CountedSummarizer(inner));

        using var stages = new StageTimes();
        using var host = builder.Build();
        await host.Services.MigrateShieldDatabaseAsync();
        // Starts the pool (idle, waiting for a wake-up) and, with the embedded default, loads MiniLM.
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<ModelCacheStats>();
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var gleaning = ollama is null ? 0 : host.Services.GetRequiredService<IOptions<ExtractionOptions>>().Value.MaxGleaning;

        // The knowledge base the measured document goes into: empty, or holding --kb-documents other documents.
        var kbChunks = new List<string>();
        for (var d = 1; d <= options.KbDocuments; d++)
        {
            var other = chunker.Split(DocumentCorpus.Document(d, options.Chunks * Step(chunker), chunker.Tokenizer));
            await IngestAsync(other, d);
            kbChunks.AddRange(other.Select(c => ChunkIds.ForContent(c.Content)));
        }

        var document = chunker.Split(DocumentCorpus.Document(0, options.Chunks * Step(chunker), chunker.Tokenizer));
        var ids = document.Select(c => ChunkIds.ForContent(c.Content)).Distinct().ToList();
        foreach (var ingestion in new[] { "first", "second" })
        {
            var load = LoadAverage();
            var (server, model, summarised, reused, finalized, cached) = Counters();
            stages.Reset();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var seconds = await IngestAsync(document, 0);
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var after = Counters();
            var calls = ollama is null
                ? new { extract = (long)ledger.Calls - model, gleaning = 0L, summary = summaries!.Calls - summarised }
                : new { extract = (long)ollama.ExtractionCalls - server.Extract, gleaning = (long)ollama.GleaningCalls - server.Gleaning, summary = (long)ollama.SummaryCalls - server.Summary };
            var texts = ollama is null ? after.Cached.TextsEmbedded - cached.TextsEmbedded : ollama.EmbeddedTexts - server.Texts;
            // LightRAG's figures: from the same answers, for a first ingestion (LightRAG skips a document it holds: 0, 0).
            var lightRag = ingestion == "first" ? ledger.CostOf(ids, kbChunks, gleaning) : new LightRagCost(0, 0, 0, 0, 0);
            var total = calls.extract + calls.gleaning + calls.summary;
            var result = new JsonObject
            {
                ["system"] = "shield",
                ["workload"] = "document",
                ["model"] = options.Model,
                ["ingestion"] = ingestion,
                ["kb_documents"] = options.KbDocuments,
                ["chunks"] = document.Count,
                ["chunk_tokens"] = chunker.Options.ChunkTokenSize,
                ["document_tokens"] = document[^1].FirstToken + document[^1].Tokens,
                ["pool_size"] = options.PoolSize,
                ["seconds"] = Math.Round(seconds, 2),
                ["chunks_per_s"] = Math.Round(document.Count / seconds, 2),
                // CPU this process used (Workers pipeline, in-process models, the scripted server; not PostgreSQL or Redis): on a shared machine
                // the wall time stretches, this does not; chunks / (cpu / cores) bounds the rate on an idle machine.
                ["process_cpu_seconds"] = Math.Round(cpu.TotalSeconds, 1),
                ["model_calls"] = JsonSerializer.SerializeToNode(calls),
                ["calls"] = total,
                ["texts_embedded"] = texts,
                ["lightrag_calls"] = lightRag.Calls,
                ["lightrag_texts"] = lightRag.Texts,
                ["lightrag_summaries"] = lightRag.Summaries,
                ["entities"] = lightRag.Entities,
                ["relations"] = lightRag.Relations,
                ["calls_per_chunk"] = Math.Round((double)total / document.Count, 3),
                ["texts_per_chunk"] = Math.Round((double)texts / document.Count, 3),
                ["cache"] = new JsonObject
                {
                    ["chat_hits"] = after.Cached.ChatHits - cached.ChatHits,
                    ["chat_misses"] = after.Cached.ChatMisses - cached.ChatMisses,
                    ["embedding_hits"] = after.Cached.EmbeddingHits - cached.EmbeddingHits,
                    ["embedding_misses"] = after.Cached.EmbeddingMisses - cached.EmbeddingMisses,
                },
                ["chunks_reused"] = after.Reused - reused,
                ["elements_finalized"] = after.Finalized - finalized,
                ["stage_ms_per_chunk"] = stages.PerChunk(document.Count),
                ["load_average_1m"] = load,
                ["processors"] = Environment.ProcessorCount,
            };
            Console.WriteLine(result.ToJsonString());
        }

        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await host.StopAsync(stopping.Token);
        }
        return 0;

        ((int Extract, int Gleaning, int Summary, int Texts) Server, long Model, long Summarised, long Reused, long Finalized, ModelCacheReport Cached) Counters() => (
            ollama is null ? default : (ollama.ExtractionCalls, ollama.GleaningCalls, ollama.SummaryCalls, ollama.EmbeddedTexts),
            ledger.Calls, summaries?.Calls ?? 0, stages.Reused, stages.Finalized, cache.Snapshot());

        // As the Api accepts a job (backlog check, then JobStore.CreateAsync), then until the job has ended.
        async Task<double> IngestAsync(IReadOnlyList<DocumentChunk> chunks, int number)
        {
            var watch = Stopwatch.StartNew();
            var job = new NewJob(Guid.CreateVersion7(), "bench-document", $$"""{"document":{{number}}}""",
                [.. chunks.Select(c => new NewChunk(c.Content, $"bench-document://{number}/{c.Index}", "{}"))]);
            await using (var scope = host.Services.CreateAsyncScope())
            {
                _ = await new QueueBacklog(redis).CountAsync();
                await scope.ServiceProvider.GetRequiredService<JobStore>().CreateAsync(job, CancellationToken.None);
            }
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                await using var scope = host.Services.CreateAsyncScope();
                var snapshot = await scope.ServiceProvider.GetRequiredService<JobStore>().GetAsync(job.JobId, CancellationToken.None);
                if (snapshot?.Status == "completed") return watch.Elapsed.TotalSeconds;
                if (snapshot?.Status is "failed" or "cancelled")
                {
                    throw new InvalidOperationException($"document {number}: the job ended {snapshot.Status} ({snapshot.ChunksProcessed}/{snapshot.ChunksTotal} chunks processed)");
                }
                if (deadline.Elapsed > TimeSpan.FromMinutes(30)) throw new TimeoutException($"document {number} did not complete within 30 minutes");
                await Task.Delay(20);
            }
        }
    }

    /// <summary>How far the chunker's window moves: a text of n steps is n chunks.</summary>
    private static int Step(TokenChunker chunker) => chunker.Options.ChunkTokenSize - chunker.Options.OverlapTokenSize;

    /// <summary>Wraps the registered <typeparamref name="T"/> (whatever the Workers chose) in an observer.</summary>
    private static void Observe<T>(IServiceCollection services, Func<T, T> wrap)
        where T : class
    {
        var registered = services.Last(s => s.ServiceType == typeof(T));
        services.Remove(registered);
        var type = registered.ImplementationType ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered by type");
        services.AddSingleton(type);
        services.AddSingleton(s => wrap((T)s.GetRequiredService(type)));
    }

    private static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>
/// Where the time goes: the Workers' own pipeline-stage spans (<c>PipelineStage</c>), summed per stage, the stages of
/// a job's finalisation apart from the chunks' (prefixed <c>finalize/</c>); and the Workers' counters of reused chunks
/// and finalised nodes and edges.
/// </summary>
public sealed class StageTimes : IDisposable
{
    private const string FinalizeSpan = "finalize job";

    private readonly ConcurrentDictionary<string, long> _ticks = new();
    private readonly ActivityListener _listener;
    private readonly MeterListener _meters = new();
    private long _reused;
    private long _finalized;

    public StageTimes()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WorkerTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                string name;
                if (activity.Kind == ActivityKind.Consumer)
                {
                    name = activity.OperationName == FinalizeSpan ? "finalize/total" : "chunk/total";
                }
                else if (activity.Kind == ActivityKind.Internal && activity.Parent is { Kind: ActivityKind.Consumer } parent)
                {
                    name = (parent.OperationName == FinalizeSpan ? "finalize/" : "chunk/") + activity.OperationName;
                }
                else
                {
                    return;
                }
                _ticks.AddOrUpdate(name, activity.Duration.Ticks, (_, t) => t + activity.Duration.Ticks);
            },
        };
        ActivitySource.AddActivityListener(_listener);
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WorkerTelemetry.Name && instrument.Name is "shield.chunks.reused" or "shield.graph.finalized")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "shield.chunks.reused") Interlocked.Add(ref _reused, value);
            else Interlocked.Add(ref _finalized, value);
        });
        _meters.Start();
    }

    public long Reused => Interlocked.Read(ref _reused);
    public long Finalized => Interlocked.Read(ref _finalized);

    public void Reset() => _ticks.Clear();

    public JsonObject PerChunk(int chunks) => new([.. _ticks.OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(TimeSpan.FromTicks(kv.Value).TotalMilliseconds / chunks, 1)))]);

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }
}
